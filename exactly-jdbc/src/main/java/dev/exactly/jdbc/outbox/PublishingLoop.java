package dev.exactly.jdbc.outbox;

import dev.exactly.Ticker;
import dev.exactly.internal.Waits;
import dev.exactly.jdbc.internal.Dialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the relay does while it holds its lock: reads batches and has them published, and between
 * batches checks the lock, measures the backlog, cleans up and idles, each on its own cadence on
 * the relay's {@link Ticker}.
 */
final class PublishingLoop {
  private static final Logger log = LoggerFactory.getLogger(PublishingLoop.class);
  private static final long LOCK_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long BACKLOG_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final Duration AFTER_ABORT = Duration.ofMillis(100);

  private final RelaySettings s;
  private final OutboxMetrics metrics;
  private final BooleanSupplier closing;

  PublishingLoop(RelaySettings settings, OutboxMetrics metrics, BooleanSupplier closing) {
    this.s = settings;
    this.metrics = metrics;
    this.closing = closing;
  }

  /**
   * Publishes until the relay closes or something fails.
   *
   * @param lockConnection the session holding the relay's lock, also the one LISTENing
   * @throws ProducerStopped when the relay must stop for good (fenced, refused by Kafka)
   */
  void run(Connection lockConnection, Dialect dialect)
      throws SQLException, InterruptedException, ProducerStopped {
    Ticker ticker = s.ticker();
    Optional<String> listen = dialect.listenStatement(s.table().channel());
    Idler idler =
        listen.isPresent()
            ? new PgListener(lockConnection, listen.get())
            : Idler.sleeping(ticker, () -> !closing.getAsBoolean());
    try {
      publish(lockConnection, dialect, idler);
    } finally {
      // The lock session goes back to a pool: it must not keep listening.
      idler.close();
    }
  }

  private void publish(Connection lockConnection, Dialect dialect, Idler idler)
      throws SQLException, InterruptedException, ProducerStopped {
    Ticker ticker = s.ticker();
    PositionStore store =
        new PositionStore(s.positionTopic(), s.name(), s.clientProperties(), ticker);
    store.createTopicIfAbsent();
    DeadLetterTopic.createIfAbsent(s.deadLetterTopic(), s.clientProperties());
    OutboxReader reader =
        new OutboxReader(s.table(), dialect, s.batchSize(), s.gapTimeout(), ticker);
    Cleaner cleaner = new Cleaner(s.table(), s.retention(), s.cleanupBatchSize(), s.faults());
    BacklogProbe backlog = new BacklogProbe(s.table(), metrics, ticker);
    try (BatchPublisher publisher = new BatchPublisher(s, metrics, store, closing);
        Connection connection = s.dataSource().getConnection()) {
      connection.setAutoCommit(true);
      RelayPosition position = store.read();
      log.info(
          "relay {} publishing {} from id {} ({} awaited ids) as transactional.id {}",
          s.name(),
          s.table().name,
          position.highWater(),
          position.gaps().size(),
          s.producerProperties().get(ProducerConfig.TRANSACTIONAL_ID_CONFIG));
      long idleMillis = 1;
      long now = ticker.nanoTime();
      long nextLockCheck = now + LOCK_CHECK_NANOS;
      long nextBacklog = now;
      long nextCleanup = now + s.cleanupInterval().toNanos();
      OutboxReader.Batch ahead = null;
      while (!closing.getAsBoolean()) {
        now = ticker.nanoTime();
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
          if (!publisher.publish(batch, next)) {
            Waits.sleepWhile(ticker, AFTER_ABORT, () -> !closing.getAsBoolean());
            continue;
          }
          ahead = next == null ? null : next.result();
          idleMillis = 1;
        }
        // Timing a new gap changes only when it was first seen; that need not be written now
        // (a later time after a crash only makes the relay wait longer).
        position = batch.next();
        if (now - nextBacklog >= 0) {
          backlog.measure(connection, position);
          nextBacklog = now + BACKLOG_NANOS;
        }
        if (now - nextCleanup >= 0) {
          metrics.deleted(cleaner.run(connection, position, ticker.millis()));
          nextCleanup = ticker.nanoTime() + s.cleanupInterval().toNanos();
        }
        if (batch.rows().isEmpty()) {
          idler.idle(idler.prompt() ? s.maxIdle() : Duration.ofMillis(idleMillis));
          idleMillis = Math.min(idleMillis * 2, s.maxIdle().toMillis());
        }
      }
    }
  }
}
