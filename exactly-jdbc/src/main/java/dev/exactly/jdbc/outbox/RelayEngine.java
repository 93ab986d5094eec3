package dev.exactly.jdbc.outbox;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.jdbc.internal.Dialect;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay: waits for its lock, then reads batches, publishes each in one Kafka transaction with
 * its position, and between batches cleans up and measures the backlog. One thread; state changes
 * go through {@link #move}.
 */
final class RelayEngine implements OutboxRelay {
  private static final Logger log = LoggerFactory.getLogger(RelayEngine.class);
  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final long LOCK_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long BACKLOG_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final int COMMIT_ATTEMPTS = 3;

  private final RelaySettings s;
  private final OutboxMetrics metrics;
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Rows Kafka refused for good, to the dead-letter topic on the next try; engine thread only. */
  private final Map<Long, KafkaException> poison = new HashMap<>();

  private RelayState state = RelayState.CREATED;
  private volatile boolean closing;
  private Thread thread;

  RelayEngine(RelaySettings settings) {
    this.s = settings;
    this.metrics = new OutboxMetrics(settings.meterRegistry(), settings.name());
  }

  @Override
  public synchronized void start() {
    if (state != RelayState.CREATED) {
      throw new IllegalStateException(
          "relay " + s.name() + " is " + state + "; start it once, or build a new one");
    }
    move(RelayState.STANDBY);
    thread = new Thread(this::run, "exactly-outbox-relay-" + s.name());
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public synchronized RelayState state() {
    return state;
  }

  /** Moves to {@code target}; refuses an illegal move, and any move but CLOSED once closing. */
  private synchronized boolean move(RelayState target) {
    if (state == target) {
      return true;
    }
    if (!state.canMoveTo(target)) {
      if (state == RelayState.CLOSING || state == RelayState.CLOSED) {
        return false;
      }
      throw new IllegalStateException("relay " + s.name() + ": " + state + " -> " + target);
    }
    state = target;
    return true;
  }

  @Override
  public boolean close(Duration timeout) {
    Thread t;
    synchronized (this) {
      if (state == RelayState.CLOSED) {
        return true;
      }
      boolean neverStarted = state == RelayState.CREATED;
      move(RelayState.CLOSING);
      closing = true;
      if (neverStarted) {
        move(RelayState.CLOSED);
        return true;
      }
      t = thread;
    }
    try {
      if (stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return true;
      }
      // A call stuck on the network: interrupt it; the open Kafka transaction aborts by timeout
      // or when the next instance starts.
      t.interrupt();
      return stopped.await(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void run() {
    try {
      while (!closing) {
        try {
          leadWhenLocked();
        } catch (Exception | LinkageError e) {
          if (!closing) {
            log.warn("relay {}: {}; retrying in {}", s.name(), e.toString(), RETRY, e);
            pause(RETRY);
          }
        }
      }
    } finally {
      move(RelayState.CLOSED);
      stopped.countDown();
    }
  }

  private void leadWhenLocked() throws SQLException, InterruptedException {
    try (Connection lockConnection = s.dataSource().getConnection()) {
      lockConnection.setAutoCommit(true);
      Dialect dialect = Dialect.of(lockConnection);
      if (s.createTable()) {
        try (Statement st = lockConnection.createStatement()) {
          for (String ddl : dialect.createOutboxTableIfAbsent(s.table().name)) {
            st.execute(ddl);
          }
        }
      }
      if (!dialect.tryLock(lockConnection, s.lockName())) {
        pause(RETRY);
        return;
      }
      try {
        if (move(RelayState.RUNNING)) {
          lead(lockConnection, dialect);
        }
      } finally {
        move(RelayState.STANDBY);
        try {
          dialect.unlock(lockConnection, s.lockName());
        } catch (SQLException e) {
          log.debug("relay {}: unlock failed, the session end releases it", s.name(), e);
        }
      }
    }
  }

  private void lead(Connection lockConnection, Dialect dialect)
      throws SQLException, InterruptedException {
    Optional<String> listen = dialect.listenStatement(s.table().channel());
    Idler idler = listen.isPresent() ? new PgListener(lockConnection, listen.get()) : Idler.SLEEP;
    PositionStore store = new PositionStore(s.positionTopic(), s.name(), s.clientProperties());
    store.createTopicIfAbsent();
    DeadLetterTopic.createIfAbsent(s.deadLetterTopic(), s.clientProperties());
    OutboxReader reader =
        new OutboxReader(s.table(), dialect, s.batchSize(), s.gapTimeout(), s.clock());
    Cleaner cleaner = new Cleaner(s.table(), s.retention(), s.cleanupBatchSize(), s.crashPoints());
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(s.producerProperties());
    ExecutorService committer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "exactly-outbox-relay-" + s.name() + "-commit");
              t.setDaemon(true);
              return t;
            });
    try (Connection connection = s.dataSource().getConnection()) {
      connection.setAutoCommit(true);
      // Fences any predecessor with this relay's transactional.id and settles its open
      // transaction, so the position read next is the last one committed.
      producer.initTransactions();
      RelayPosition position = store.read();
      log.info(
          "relay {} publishing {} from id {} ({} awaited ids) as transactional.id {}",
          s.name(),
          s.table().name,
          position.highWater(),
          position.gaps().size(),
          s.producerProperties().get(ProducerConfig.TRANSACTIONAL_ID_CONFIG));
      long idleMillis = 1;
      long now = System.nanoTime();
      long nextLockCheck = now + LOCK_CHECK_NANOS;
      long nextBacklog = now;
      long nextCleanup = now + s.cleanupInterval().toNanos();
      OutboxReader.Batch ahead = null;
      while (!closing) {
        now = System.nanoTime();
        if (now - nextLockCheck >= 0) {
          if (!lockConnection.isValid(5)) {
            throw new SQLException("the connection holding the relay's lock broke");
          }
          nextLockCheck = now + LOCK_CHECK_NANOS;
        }
        OutboxReader.Batch batch = ahead != null ? ahead : reader.next(connection, position);
        ahead = null;
        if (batch.abandoned() > 0) {
          metrics.abandoned(batch.abandoned());
          log.info(
              "relay {}: gave up {} ids no open transaction can commit",
              s.name(),
              batch.abandoned());
        }
        boolean full = batch.rows().size() >= s.batchSize();
        if (!batch.rows().isEmpty() || batch.abandoned() > 0) {
          // A full batch means a backlog: read the next batch while this one commits (the
          // database and the broker work at once). A partial one means the table is drained;
          // reading again after the commit then catches the rows committed meanwhile in one
          // batch rather than two.
          ReadAhead next = full ? new ReadAhead(reader, connection, batch.next()) : null;
          if (!publish(producer, store, batch, committer, next)) {
            pause(Duration.ofMillis(100));
            continue;
          }
          ahead = next == null ? null : next.result();
          idleMillis = 1;
        }
        // Timing a new gap changes only when it was first seen; that need not be written now
        // (a later time after a crash only makes the relay wait longer).
        position = batch.next();
        if (now - nextBacklog >= 0) {
          measureBacklog(connection, position);
          nextBacklog = now + BACKLOG_NANOS;
        }
        if (now - nextCleanup >= 0) {
          int deleted = cleaner.run(connection, position, s.clock().millis());
          metrics.deleted(deleted);
          nextCleanup = System.nanoTime() + s.cleanupInterval().toNanos();
        }
        if (batch.rows().isEmpty()) {
          idler.idle(idler.prompt() ? s.maxIdle() : Duration.ofMillis(idleMillis));
          idleMillis = Math.min(idleMillis * 2, s.maxIdle().toMillis());
        }
      }
    } finally {
      committer.shutdownNow();
      producer.close(closing ? Duration.ZERO : Duration.ofSeconds(5));
      idler.close();
    }
  }

  /**
   * The next batch, read on the relay thread while the committer thread commits the current one.
   * Its result counts only if that commit succeeds; otherwise the batch is read again.
   */
  private static final class ReadAhead {
    private final OutboxReader reader;
    private final Connection connection;
    private final RelayPosition from;
    private OutboxReader.Batch result;
    private SQLException failure;

    ReadAhead(OutboxReader reader, Connection connection, RelayPosition from) {
      this.reader = reader;
      this.connection = connection;
      this.from = from;
    }

    void run() {
      try {
        result = reader.next(connection, from);
      } catch (SQLException e) {
        failure = e;
      }
    }

    /** The batch read; a read failure surfaces here, after the commit was accounted for. */
    OutboxReader.Batch result() throws SQLException {
      if (failure != null) {
        throw failure;
      }
      return result;
    }
  }

  /**
   * Publishes the batch's rows and its position in one Kafka transaction. The commit runs on the
   * committer thread while this thread runs {@code readAhead}, if given.
   *
   * @return whether it committed; false after an abort, when the batch is to be read again
   * @throws KafkaException when this producer can no longer be used (fenced, unauthorized)
   */
  private boolean publish(
      KafkaProducer<byte[], byte[]> producer,
      PositionStore store,
      OutboxReader.Batch batch,
      ExecutorService committer,
      ReadAhead readAhead)
      throws InterruptedException {
    List<OutboxRow> rows = batch.rows();
    // Each failure instance with the row that met it first. Once the transaction is in error, Kafka
    // fails the records still waiting to be sent with that same instance (the sender aborts them
    // with its last error), so only the first row to see an instance is the row refused; the
    // others only went down with it and are published again.
    Map<Exception, Long> failures = Collections.synchronizedMap(new IdentityHashMap<>());
    producer.beginTransaction();
    try {
      int half = rows.size() / 2;
      for (int i = 0; i < rows.size(); i++) {
        if (i == half) {
          s.crashPoints().reached(CrashPoints.MID_BATCH);
        }
        OutboxRow row = rows.get(i);
        KafkaException refused = poison.get(row.id());
        ProducerRecord<byte[], byte[]> record =
            refused == null ? record(row) : deadLetter(row, refused);
        producer.send(
            record,
            (meta, e) -> {
              if (e != null) {
                failures.putIfAbsent(e, row.id());
              }
            });
      }
      producer.send(store.record(batch.next()));
      s.crashPoints().reached(CrashPoints.BEFORE_COMMIT);
      Future<?> commit = committer.submit(() -> commit(producer));
      if (readAhead != null) {
        readAhead.run();
      }
      awaitCommit(commit);
    } catch (ProducerFencedException
        | InvalidProducerEpochException
        | OutOfOrderSequenceException
        | AuthorizationException e) {
      throw e;
    } catch (KafkaException e) {
      metrics.aborted();
      try {
        producer.abortTransaction();
      } catch (KafkaException abortFailed) {
        e.addSuppressed(abortFailed);
        throw e;
      }
      failures.forEach(
          (f, id) -> {
            if (f instanceof RecordTooLargeException
                || f instanceof RecordBatchTooLargeException
                || f instanceof InvalidTopicException) {
              poison.put(id, (KafkaException) f);
            }
          });
      log.warn(
          "relay {}: batch of {} rows aborted ({}), publishing it again",
          s.name(),
          rows.size(),
          e.toString());
      return false;
    }
    s.crashPoints().reached(CrashPoints.AFTER_COMMIT);
    long[] created = new long[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      created[i] = rows.get(i).createdAtMillis();
      if (poison.remove(rows.get(i).id()) != null) {
        metrics.deadLettered();
      }
    }
    metrics.published(rows.size(), created, s.clock().millis());
    return true;
  }

  /** Waits for the commit; rethrows its failure as thrown, for the handling by type above. */
  private static void awaitCommit(Future<?> commit) throws InterruptedException {
    try {
      commit.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new KafkaException("the commit failed", cause);
    }
  }

  private void commit(KafkaProducer<byte[], byte[]> producer) {
    for (int attempt = 1; ; attempt++) {
      try {
        producer.commitTransaction();
        return;
      } catch (TimeoutException e) {
        // The commit may still complete: retrying it is allowed and finds out.
        if (attempt >= COMMIT_ATTEMPTS) {
          throw e;
        }
        // Said aloud: a commit that keeps timing out is how a slow or unreachable transaction
        // coordinator shows, and the relay publishes nothing while it waits.
        log.warn(
            "relay {}: Kafka commit timed out (attempt {} of {}), retrying: {}",
            s.name(),
            attempt,
            COMMIT_ATTEMPTS,
            e.getMessage());
      }
    }
  }

  private static ProducerRecord<byte[], byte[]> record(OutboxRow row) {
    List<Header> headers = HeaderCodec.decode(row.headers());
    headers.add(idHeader(row));
    return new ProducerRecord<>(row.topic(), null, null, row.key(), row.value(), headers);
  }

  private ProducerRecord<byte[], byte[]> deadLetter(OutboxRow row, KafkaException reason) {
    List<Header> headers = HeaderCodec.decode(row.headers());
    headers.add(idHeader(row));
    headers.add(header(DeadLetterHeaders.TOPIC, row.topic()));
    headers.add(header(DeadLetterHeaders.EXCEPTION_CLASS, reason.getClass().getName()));
    headers.add(header(DeadLetterHeaders.EXCEPTION_MESSAGE, String.valueOf(reason.getMessage())));
    headers.add(header(DeadLetterHeaders.REASON, "Kafka refused the outbox row for good"));
    // A value too large for the topic is likely too large here too: keep the key and headers.
    boolean tooLarge =
        reason instanceof RecordTooLargeException || reason instanceof RecordBatchTooLargeException;
    return new ProducerRecord<>(
        s.deadLetterTopic(), null, null, row.key(), tooLarge ? null : row.value(), headers);
  }

  private static Header idHeader(OutboxRow row) {
    return header(Outbox.ID_HEADER, Long.toString(row.id()));
  }

  private static Header header(String name, String value) {
    return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Backlog from the id range above the high-water mark: an upper bound, since ids taken by
   * transactions that rolled back or are still open count too. The age is that of the lowest row.
   */
  private void measureBacklog(Connection connection, RelayPosition position) throws SQLException {
    long lowest;
    long highest;
    try (PreparedStatement ps = connection.prepareStatement(s.table().backlogRange())) {
      ps.setLong(1, position.highWater());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        lowest = rs.getLong(1);
        if (rs.wasNull()) {
          metrics.backlog(0, 0, position.gaps().size());
          return;
        }
        highest = rs.getLong(2);
      }
    }
    long age = 0;
    try (PreparedStatement ps = connection.prepareStatement(s.table().createdAt())) {
      ps.setLong(1, lowest);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          age = Math.max(0, s.clock().millis() - rs.getLong(1));
        }
      }
    }
    metrics.backlog(highest - lowest + 1, age, position.gaps().size());
  }

  private void pause(Duration d) {
    long end = System.nanoTime() + d.toNanos();
    try {
      while (!closing && System.nanoTime() - end < 0) {
        Thread.sleep(Math.min(50, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
