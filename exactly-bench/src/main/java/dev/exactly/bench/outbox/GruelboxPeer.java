package dev.exactly.bench.outbox;

import com.gruelbox.transactionoutbox.DefaultPersistor;
import com.gruelbox.transactionoutbox.Dialect;
import com.gruelbox.transactionoutbox.Instantiator;
import com.gruelbox.transactionoutbox.Submitter;
import com.gruelbox.transactionoutbox.ThreadLocalContextTransactionManager;
import com.gruelbox.transactionoutbox.TransactionManager;
import com.gruelbox.transactionoutbox.TransactionOutbox;
import dev.exactly.jdbc.outbox.Outbox;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Base64;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The peer: gruelbox transaction-outbox 4.2.268 doing the outbox's job, set up as its README and
 * Javadoc advise: {@link DefaultPersistor} with {@link Dialect#POSTGRESQL_9}, the JDBC {@link
 * TransactionManager#fromDataSource} manager, an {@link Submitter#withExecutor executor submitter}
 * with a bounded queue, and {@link TransactionOutbox#flush()} called in a loop by one background
 * thread. The scheduled call sends to Kafka with an idempotent producer ({@code acks=all}) and
 * waits for the acknowledgement, since gruelbox deletes the row when the call returns: returning
 * before Kafka has the record would lose it on a crash.
 *
 * <p>Settings (all documented builder options): {@value #WORKERS} worker threads, a queue of
 * {@value #QUEUE} tasks (the Javadoc advises 10,000+), {@code flushBatchSize} 4096 (its default),
 * {@code attemptFrequency} 2 minutes (its default, longer than any wait in the queue here, so no
 * task runs twice), and an idle flush interval of {@value #FLUSH_IDLE_MILLIS} ms; the producer uses
 * {@code linger.ms} 0, the better choice for one blocking send per task.
 */
final class GruelboxPeer implements AutoCloseable {
  static final int WORKERS = 8;
  static final int QUEUE = 16_384;
  static final long FLUSH_IDLE_MILLIS = 1000;
  static final Duration ATTEMPT_FREQUENCY = Duration.ofMinutes(2);

  private static volatile KafkaProducer<byte[], byte[]> producer;
  private static final Set<String> SENT = ConcurrentHashMap.newKeySet();

  private final ThreadLocalContextTransactionManager tm;
  private final TransactionOutbox outbox;
  private final ThreadPoolExecutor executor;
  private final ShiftableClock clock = new ShiftableClock();
  private final AtomicLong ids = new AtomicLong();
  private volatile boolean paused;
  private volatile boolean stopped;
  private final Thread flusher;

  /** The scheduled call. Public with a public constructor: gruelbox proxies and instantiates it. */
  public static class Publisher {
    public Publisher() {}

    public void publish(String topic, String key, String base64Value, String id) {
      ProducerRecord<byte[], byte[]> r =
          new ProducerRecord<>(
              topic, key.getBytes(StandardCharsets.UTF_8), Base64.getDecoder().decode(base64Value));
      r.headers().add(Outbox.ID_HEADER, id.getBytes(StandardCharsets.UTF_8));
      try {
        producer.send(r).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while sending " + id, e);
      } catch (ExecutionException e) {
        // gruelbox counts the failed attempt and tries again after attemptFrequency.
        throw new IllegalStateException("sending " + id + " failed", e.getCause());
      }
      SENT.add(id);
    }
  }

  GruelboxPeer(DataSource ds, String bootstrapServers) throws SQLException {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    producer = new KafkaProducer<>(p);
    tm = TransactionManager.fromDataSource(ds);
    executor =
        new ThreadPoolExecutor(
            WORKERS,
            WORKERS,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            new ThreadPoolExecutor.AbortPolicy());
    Submitter direct = Submitter.withExecutor(executor);
    Publisher publisher = new Publisher();
    outbox =
        TransactionOutbox.builder()
            .transactionManager(tm)
            .persistor(DefaultPersistor.builder().dialect(Dialect.POSTGRESQL_9).build())
            .instantiator(Instantiator.using(c -> publisher))
            // While paused (loading a backlog) the submission is dropped, as when the
            // application stops right after its commit: flush() finds the row later.
            .submitter(
                (entry, local) -> {
                  if (!paused) {
                    direct.submit(entry, local);
                  }
                })
            .attemptFrequency(ATTEMPT_FREQUENCY)
            .flushBatchSize(4096)
            .clockProvider(() -> clock)
            .build();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute("DELETE FROM txno_outbox");
    }
    flusher = new Thread(this::flushLoop, "gruelbox-flusher");
    flusher.setDaemon(true);
    flusher.start();
  }

  /** Like the docs' advice for a blocking or busy submitter: "simply loop it". */
  private void flushLoop() {
    while (!stopped) {
      try {
        boolean found = !paused && outbox.flush();
        if (found) {
          // Let the workers take what this flush submitted before selecting the next batch.
          while (!stopped && executor.getQueue().size() > QUEUE / 4) {
            Thread.sleep(5);
          }
        } else {
          Thread.sleep(FLUSH_IDLE_MILLIS);
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        if (!stopped) {
          e.printStackTrace();
        }
      }
    }
  }

  /** Schedules one publication in one transaction; returns its id once committed. */
  String write(String topic, byte[] key, byte[] value) {
    String id = "g" + ids.incrementAndGet();
    tm.inTransaction(
        () -> outbox.schedule(Publisher.class).publish(topic, text(key), base64(value), id));
    return id;
  }

  /** Schedules {@code count} publications, {@code perTransaction} per transaction. */
  void writeBatch(String topic, byte[][] keys, byte[][] values, int perTransaction) {
    for (int i = 0; i < keys.length; i += perTransaction) {
      int from = i;
      int to = Math.min(keys.length, i + perTransaction);
      tm.inTransaction(
          () -> {
            for (int j = from; j < to; j++) {
              outbox
                  .schedule(Publisher.class)
                  .publish(topic, text(keys[j]), base64(values[j]), "g" + ids.incrementAndGet());
            }
          });
    }
  }

  // gruelbox serializes the call's arguments as JSON and supports no byte arrays there.
  private static String text(byte[] key) {
    return new String(key, StandardCharsets.UTF_8);
  }

  private static String base64(byte[] value) {
    return Base64.getEncoder().encodeToString(value);
  }

  /** Stops processing new writes until {@link #resumeAfterOutage}. */
  void pause() {
    paused = true;
  }

  /**
   * Resumes as if the application came back {@link #ATTEMPT_FREQUENCY} later: the rows written
   * meanwhile are now due, and flush() picks them up.
   */
  void resumeAfterOutage() {
    clock.shift(ATTEMPT_FREQUENCY.plusSeconds(1));
    paused = false;
  }

  long sent() {
    return SENT.size();
  }

  void resetSent() {
    SENT.clear();
  }

  @Override
  public void close() {
    stopped = true;
    flusher.interrupt();
    executor.shutdown();
    try {
      flusher.join(5000);
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close();
  }

  /** The system clock, moved forward on demand to end a simulated outage. */
  private static final class ShiftableClock extends Clock {
    private volatile Duration shift = Duration.ZERO;

    void shift(Duration by) {
      shift = shift.plus(by);
    }

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(shift);
    }
  }
}
