package dev.exactly.jdbc.outbox;

import dev.exactly.testkit.check.Input;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Concurrent writers for crash tests: each owns its keys and commits transactions of a few rows,
 * rolling back about one in five. What committed becomes the checker's inputs, in per-key order;
 * what rolled back is kept to show it never appears.
 */
final class OutboxWriters {
  final List<Input> committed = Collections.synchronizedList(new ArrayList<>());
  final List<Long> rolledBack = Collections.synchronizedList(new ArrayList<>());

  /** Next sequence per key, kept across runs so a later run continues each key's order. */
  private final Map<String, Long> nextSequence = new ConcurrentHashMap<>();

  private final AtomicInteger runs = new AtomicInteger();

  /** Writes until {@code rows} rows have committed in total. */
  void run(DataSource dataSource, Outbox outbox, String topic, int writers, int rows)
      throws Exception {
    run(dataSource, outbox, topic, writers, rows, 0);
  }

  /** As {@link #run(DataSource, Outbox, String, int, int)}, pausing after each transaction. */
  void run(
      DataSource dataSource, Outbox outbox, String topic, int writers, int rows, long pauseMillis)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<?>> done = new ArrayList<>();
    int perWriter = rows / writers;
    int run = runs.getAndIncrement();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      done.add(
          pool.submit(
              () -> {
                write(dataSource, outbox, topic, writer, run, perWriter, pauseMillis);
                return null;
              }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();
  }

  private void write(
      DataSource dataSource,
      Outbox outbox,
      String topic,
      int writer,
      int run,
      int rows,
      long pauseMillis)
      throws SQLException, InterruptedException {
    Random random = new Random(writer + 1_000L * run);
    String[] keys = {"w" + writer + "a", "w" + writer + "b", "w" + writer + "c"};
    long[] sequence = new long[keys.length];
    for (int k = 0; k < keys.length; k++) {
      sequence[k] = nextSequence.getOrDefault(keys[k], 0L);
    }
    int written = 0;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      while (written < rows) {
        int n = Math.min(rows - written, 1 + random.nextInt(10));
        boolean commit = random.nextInt(5) != 0;
        List<Input> pending = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        long[] next = sequence.clone();
        for (int i = 0; i < n; i++) {
          int k = random.nextInt(keys.length);
          byte[] value = (keys[k] + ":" + next[k]).getBytes(StandardCharsets.UTF_8);
          long id = outbox.write(c, topic, keys[k].getBytes(StandardCharsets.UTF_8), value);
          ids.add(id);
          pending.add(new Input(Long.toString(id), keys[k], next[k]++));
        }
        if (commit) {
          c.commit();
          committed.addAll(pending);
          sequence = next;
          written += n;
        } else {
          c.rollback();
          rolledBack.addAll(ids);
        }
        if (pauseMillis > 0) {
          Thread.sleep(pauseMillis);
        }
      }
      c.setAutoCommit(true);
    }
    for (int k = 0; k < keys.length; k++) {
      nextSequence.put(keys[k], sequence[k]);
    }
  }
}
