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
  private static final Duration TOPIC_RECHECK = Duration.ofSeconds(1);

  private final RelaySettings s;
  private final OutboxMetrics metrics;
  private final BooleanSupplier closing;

  /** Whether the last poll that awaited ids could see other sessions' transactions. */
  private boolean inFallback;

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
    // Ids given up by the gap timeout are read for as long as published rows are kept, at least
    // one more gap timeout.
    Duration watchGivenUp =
        s.retention().compareTo(s.gapTimeout()) > 0 ? s.retention() : s.gapTimeout();
    OutboxReader reader =
        new OutboxReader(s.table(), dialect, s.batchSize(), s.gapTimeout(), watchGivenUp, ticker);
    Cleaner cleaner = new Cleaner(s.table(), s.retention(), s.cleanupBatchSize(), s.faults());
    BacklogProbe backlog = new BacklogProbe(s.table(), metrics, ticker);
    try (BatchPublisher publisher = new BatchPublisher(s, metrics, store, closing);
        TopicGuard guard =
            new TopicGuard(s.clientProperties(), s.missingTopicTimeout(), ticker, s.name());
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
        boolean full = batch.rows().size() >= s.batchSize();
        if (!batch.rows().isEmpty()
            || batch.abandoned() > 0
            || batch.timedOut() > 0
            || batch.dropped() > 0) {
          TopicGuard.Verdict verdict = guard.check(batch.rows());
          if (verdict instanceof TopicGuard.Wait wait) {
            // Once per topic: the relay looks again every second until the wait is over.
            if (wait.first()) {
              log.warn(
                  "relay {}: holding a batch: topic {} cannot take a row ({}); waiting up to {}"
                      + " before its rows go to the dead-letter topic",
                  s.name(),
                  wait.topic(),
                  wait.why(),
                  s.missingTopicTimeout());
            }
            Waits.sleepWhile(ticker, TOPIC_RECHECK, () -> !closing.getAsBoolean());
            continue;
          }
          // A full batch means a backlog: read the next batch while this one commits (the
          // database and the broker work at once). A partial one means the table is drained;
          // reading again after the commit then catches the rows committed meanwhile in one
          // batch rather than two.
          ReadAhead next = full ? new ReadAhead(reader, connection, batch.next()) : null;
          if (!publisher.publish(batch, next, ((TopicGuard.Publish) verdict).refused())) {
            Waits.sleepWhile(ticker, AFTER_ABORT, () -> !closing.getAsBoolean());
            continue;
          }
          ahead = next == null ? null : next.result();
          idleMillis = 1;
        }
        report(batch);
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

  /** Logs and counts what a published (or empty) batch gave up and found late. */
  private void report(OutboxReader.Batch batch) {
    if (batch.horizonRead() && batch.fallback() != inFallback) {
      inFallback = batch.fallback();
      if (inFallback) {
        log.warn(
            "relay {}: the database does not show other sessions' transactions (H2, or a user"
                + " without pg_read_all_stats / PROCESS); awaited ids are given up after"
                + " relay.gapTimeout {}, which must exceed your longest transaction writing the"
                + " outbox; grant the privilege to make the relay exact",
            s.name(),
            s.gapTimeout());
      } else {
        log.info("relay {}: the database shows open transactions again", s.name());
      }
    }
    if (batch.abandoned() > 0) {
      metrics.abandoned(batch.abandoned());
      log.info(
          "relay {}: gave up {} ids no open transaction can commit", s.name(), batch.abandoned());
    }
    if (batch.timedOut() > 0) {
      metrics.timedOut(batch.timedOut());
      log.warn(
          "relay {}: gave up {} ids after relay.gapTimeout {} without seeing whether a"
              + " transaction still holds them; a row that appears there later is still published",
          s.name(),
          batch.timedOut(),
          s.gapTimeout());
    }
    if (batch.dropped() > 0) {
      metrics.dropped(batch.dropped());
      log.warn(
          "relay {}: gave up {} awaited ids without proof that they can no longer commit: more"
              + " than {} awaited at once, or a jump of more than {} ids awaited for"
              + " relay.gapTimeout {}; a row committed there later is not published",
          s.name(),
          batch.dropped(),
          RelayPosition.MAX_IDS,
          OutboxReader.MAX_GAP_RUN,
          s.gapTimeout());
    }
    if (!batch.late().isEmpty()) {
      metrics.late(batch.late().size());
      log.error(
          "relay {}: published rows {} late: they became visible after relay.gapTimeout {} had"
              + " given their ids up, so they come after rows written later; raise gapTimeout"
              + " above your longest transaction, or let the relay see open transactions",
          s.name(),
          batch.late(),
          s.gapTimeout());
    }
  }
}
