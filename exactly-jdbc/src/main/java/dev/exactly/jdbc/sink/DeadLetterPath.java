package dev.exactly.jdbc.sink;

import dev.exactly.DeadLetterReason;
import dev.exactly.FaultPoint;
import dev.exactly.internal.DeadLetterProducer;
import dev.exactly.internal.DeadLetters;
import dev.exactly.jdbc.sink.OffsetTable.Position;
import java.sql.Connection;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a record up: writes it to its dead-letter topic, then commits its offset alone, so the
 * partition moves on past it.
 */
final class DeadLetterPath<K, V> {
  private static final Logger log = LoggerFactory.getLogger(DeadLetterPath.class);

  private final SinkContext<K, V> ctx;
  private final BatchTransaction<K, V> transaction;
  private final RefusedCommits<K, V> refused;
  private final DeadLetterProducer producer;

  DeadLetterPath(
      SinkContext<K, V> ctx,
      BatchTransaction<K, V> transaction,
      RefusedCommits<K, V> refused,
      DeadLetterProducer producer) {
    this.ctx = ctx;
    this.transaction = transaction;
    this.refused = refused;
    this.producer = producer;
  }

  /**
   * Sends one record to its dead-letter topic with the reason, then commits its offset alone. The
   * send comes first: a crash between the two re-sends the record (a duplicate in the dead-letter
   * topic), never loses it.
   */
  void send(PolledRecord<K, V> item, Exception error, DeadLetterReason reason, int attempts) {
    TopicPartition tp = item.tp();
    Position ours = ctx.own.owned.get(tp);
    Position[] db = new Position[1];
    ctx.withRetries(
        "reading the offset table",
        () -> {
          try (Connection c = ctx.dataSource.getConnection()) {
            db[0] = ctx.offsets.read(c, tp);
          }
        });
    if (db[0] == null || !db[0].equals(ours)) {
      // The failure may have come from having lost the partition (another owner's rows).
      refused.resolve(Set.of(tp));
      return;
    }
    ConsumerRecord<byte[], byte[]> raw = item.raw();
    // The user's exception, not the engine's wrapper around a non-Exception throwable.
    Throwable cause =
        error instanceof BatchTransaction.HandlerFailedException ? error.getCause() : error;
    String topic = deadLetterTopicOf(raw.topic());
    boolean sent;
    try {
      sent = producer.send(DeadLetters.ofRecord(topic, raw, reason, cause, attempts), ctx::running);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (!sent) {
      // Stopping before Kafka had it: the offset stays, the next owner reads the record again.
      return;
    }
    ctx.metrics.deadLetters.increment();
    log.warn(
        "db sink {}: {}@{} sent to {} ({}): {}",
        ctx.instanceId(),
        tp,
        raw.offset(),
        topic,
        reason,
        cause.toString());
    ctx.settings.faults().reached(FaultPoint.SINK_AFTER_DEAD_LETTER);
    int attempt = 1;
    while (ctx.running()) {
      BatchTransaction.Outcome outcome = transaction.run(List.of(item), false);
      if (outcome.committed()) {
        return;
      }
      if (!outcome.refused().isEmpty()) {
        refused.resolve(outcome.refused());
        return;
      }
      if (!ctx.dialect.isTransient(outcome.error())
          || !ctx.settings.retry().canRetryAfter(attempt)) {
        ctx.rewind(List.of(item), outcome.error());
        return;
      }
      ctx.metrics.retries.increment();
      ctx.pause(ctx.settings.retry().backoffAfter(attempt++));
    }
  }

  /** The fixed override when given, else the topic's own {@code <topic>.dlt}. */
  private String deadLetterTopicOf(String topic) {
    return ctx.settings.deadLetterTopic() != null ? ctx.settings.deadLetterTopic() : topic + ".dlt";
  }
}
