package dev.exactly.jdbc.sink;

import dev.exactly.DeadLetterReason;
import dev.exactly.FaultPoint;
import dev.exactly.internal.DeadLetterProducer;
import dev.exactly.internal.DeadLetterWarnings;
import dev.exactly.internal.DeadLetters;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Gives a record up. Its dead letter goes into the {@link DeadLetterTable} in the same database
 * transaction that moves the partition's offset past it, fenced by the partition's epoch like any
 * batch: the record is either written by the handler or dead-lettered, never both, whoever crashes
 * or takes the partition over. The dead letter is then published to Kafka and its row deleted; a
 * crash in between publishes it again from the partition's next owner (a duplicate in the
 * dead-letter topic with the same original topic, partition and offset, never a loss).
 */
final class DeadLetterPath<K, V> {

  private final SinkContext<K, V> ctx;
  private final BatchTransaction<K, V> transaction;
  private final RefusedCommits<K, V> refused;
  private final DeadLetterProducer producer;
  private final DeadLetterTable table;
  private final DeadLetterWarnings warnings;

  DeadLetterPath(
      SinkContext<K, V> ctx,
      BatchTransaction<K, V> transaction,
      RefusedCommits<K, V> refused,
      DeadLetterProducer producer,
      DeadLetterTable table) {
    this.ctx = ctx;
    this.transaction = transaction;
    this.refused = refused;
    this.producer = producer;
    this.table = table;
    this.warnings = new DeadLetterWarnings("db sink " + ctx.instanceId(), ctx.ticker);
  }

  /**
   * Commits the record's dead letter with its offset, then publishes it. When the offset table
   * refuses the commit (the partition has another owner) nothing is dead-lettered: the owner reads
   * the record again.
   */
  void send(PolledRecord<K, V> item, Exception error, DeadLetterReason reason, int attempts) {
    TopicPartition tp = item.tp();
    ConsumerRecord<byte[], byte[]> raw = item.raw();
    // The user's exception, not the engine's wrapper around a non-Exception throwable.
    Throwable cause =
        error instanceof BatchTransaction.HandlerFailedException ? error.getCause() : error;
    ProducerRecord<byte[], byte[]> deadLetter =
        DeadLetters.ofRecord(deadLetterTopicOf(raw.topic()), raw, reason, cause, attempts);
    for (int attempt = 1; ; attempt++) {
      if (!ctx.running()) {
        return;
      }
      BatchTransaction.Outcome outcome =
          transaction.run(
              List.of(item),
              false,
              c -> table.insert(c, tp, raw.offset(), deadLetter, ctx.ticker.millis()));
      if (outcome.committed()) {
        break;
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
      ctx.pause(ctx.settings.retry().backoffAfter(attempt));
    }
    ctx.metrics.deadLetters.increment();
    warnings.gaveUp(tp + "@" + raw.offset(), deadLetter.topic(), reason, cause);
    ctx.settings.faults().reached(FaultPoint.SINK_AFTER_DEAD_LETTER);
    publish(tp);
  }

  /**
   * Publishes the dead letters committed for the partitions claimed since the last call (left by an
   * owner that stopped before Kafka had them), then forgets those partitions.
   */
  void publishLeftovers() {
    for (TopicPartition tp : List.copyOf(ctx.own.unpublished)) {
      if (!ctx.running()) {
        return;
      }
      if (ctx.own.owned.containsKey(tp)) {
        publish(tp);
      }
      ctx.own.unpublished.remove(tp);
    }
  }

  /** Publishes the partition's committed dead letters in offset order, deleting each after. */
  private void publish(TopicPartition tp) {
    List<DeadLetterTable.Pending> pending = new ArrayList<>();
    ctx.withRetries(
        "reading the dead letters of " + tp + " from " + table.table(),
        () -> {
          pending.clear();
          try (Connection c = ctx.dataSource.getConnection()) {
            pending.addAll(table.pending(c, tp));
          }
        });
    for (DeadLetterTable.Pending p : pending) {
      boolean sent;
      try {
        sent = producer.send(p.record(), ctx::running);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (!sent) {
        return; // stopping: the row stays for the partition's next owner
      }
      ctx.withRetries(
          "deleting a published dead letter from " + table.table(),
          () -> {
            try (Connection c = ctx.dataSource.getConnection()) {
              table.delete(c, p);
            }
          });
    }
  }

  /** The fixed override when given, else the topic's own {@code <topic>.dlt}. */
  private String deadLetterTopicOf(String topic) {
    return ctx.settings.deadLetterTopicOf(topic);
  }
}
