package dev.exactly.jdbc.sink;

import dev.exactly.DeadLetterReason;
import dev.exactly.internal.TypedRecords;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a poll's records: cuts them into transactions bounded by records and bytes, retries a
 * transient failure or an outage, and bisects any other until the record at fault stands alone and
 * is given up.
 *
 * <p>An outage is an error that is not transient by its code but that every record meets alike: a
 * failed batch whose two halves, each tried alone in a transaction that rolls back, fail with the
 * same database error (SQLState and vendor code) that the data does not explain (see {@link
 * dev.exactly.jdbc.internal.Dialect#outageSignature}). Bisecting it would give up every record, so
 * it is retried like a transient error instead. Until a batch commits again, a lone record that
 * fails with the same error is taken as meeting the same outage.
 */
final class BatchWriter<K, V> {
  private static final Logger log = LoggerFactory.getLogger(BatchWriter.class);

  private final SinkContext<K, V> ctx;
  private final Ownership own;
  private final BatchTransaction<K, V> transaction;
  private final DeadLetterPath<K, V> deadLetters;
  private final RefusedCommits<K, V> refused;

  /** The signature of the outage met since the last commit, if any. */
  private String outage;

  BatchWriter(
      SinkContext<K, V> ctx,
      BatchTransaction<K, V> transaction,
      DeadLetterPath<K, V> deadLetters,
      RefusedCommits<K, V> refused) {
    this.ctx = ctx;
    this.own = ctx.own;
    this.transaction = transaction;
    this.deadLetters = deadLetters;
    this.refused = refused;
  }

  /** Splits the poll into transactions bounded by records and bytes, in poll order. */
  void write(ConsumerRecords<byte[], byte[]> polled) {
    List<PolledRecord<K, V>> batch = new ArrayList<>();
    long bytes = 0;
    for (ConsumerRecord<byte[], byte[]> raw : polled) {
      TopicPartition tp = new TopicPartition(raw.topic(), raw.partition());
      if (!ctx.running()) {
        return;
      }
      if (!own.isLive(tp)) {
        continue;
      }
      ConsumerRecord<K, V> typed;
      try {
        typed = deserialize(raw);
      } catch (RuntimeException e) {
        // What came before it commits first: records of one partition commit in offset order.
        runBatch(batch);
        batch = new ArrayList<>();
        bytes = 0;
        if (own.isLive(tp)) {
          deadLetters.send(
              new PolledRecord<>(raw, null, tp), e, DeadLetterReason.DESERIALIZATION, 1);
        }
        continue;
      }
      long size = Math.max(0, raw.serializedKeySize()) + Math.max(0, raw.serializedValueSize());
      if (!batch.isEmpty()
          && (batch.size() >= ctx.settings.maxBatchRecords()
              || bytes + size > ctx.settings.maxBatchBytes())) {
        runBatch(batch);
        batch = new ArrayList<>();
        bytes = 0;
      }
      batch.add(new PolledRecord<>(raw, typed, tp));
      bytes += size;
    }
    runBatch(batch);
  }

  private ConsumerRecord<K, V> deserialize(ConsumerRecord<byte[], byte[]> raw) {
    SinkSettings<K, V> s = ctx.settings;
    return TypedRecords.deserialize(raw, s.keyDeserializer(), s.valueDeserializer());
  }

  /**
   * Commits {@code items} in one transaction: retries transient errors with backoff, drops
   * partitions it turns out to have lost, and bisects on any other error until the record at fault
   * stands alone and goes to the dead-letter topic.
   */
  private void runBatch(List<PolledRecord<K, V>> items) {
    List<PolledRecord<K, V>> batch = own.live(items);
    int attempt = 1;
    while (!batch.isEmpty() && ctx.running()) {
      BatchTransaction.Outcome outcome = transaction.run(batch, true);
      if (outcome.committed()) {
        outage = null;
        return;
      }
      if (!outcome.refused().isEmpty()) {
        refused.resolve(outcome.refused());
        batch = own.live(batch);
        continue;
      }
      Exception error = outcome.error();
      if (ctx.dialect.isTransient(error) || isOutage(batch, error)) {
        if (ctx.settings.retry().canRetryAfter(attempt)) {
          ctx.metrics.retries.increment();
          Duration wait = ctx.settings.retry().backoffAfter(attempt);
          log.warn(
              "db sink {}: transient database error on a batch of {} (attempt {}), retrying in {}:"
                  + " {}",
              ctx.instanceId(),
              batch.size(),
              attempt,
              wait,
              error.toString());
          ctx.pause(wait);
          attempt++;
          continue;
        }
        ctx.rewind(batch, error);
        return;
      }
      if (batch.size() == 1) {
        deadLetters.send(batch.get(0), error, DeadLetterReason.NON_RETRIABLE, attempt);
        return;
      }
      int half = batch.size() / 2;
      List<PolledRecord<K, V>> first = new ArrayList<>(batch.subList(0, half));
      List<PolledRecord<K, V>> second = new ArrayList<>(batch.subList(half, batch.size()));
      log.debug("db sink: bisecting a failed batch of {}: {}", batch.size(), error.toString());
      runBatch(first);
      runBatch(second);
      return;
    }
  }

  /**
   * Whether {@code batch} failed with {@code error} because of an outage rather than a record: both
   * halves fail alone with the same database error, or, for a lone record, the outage met since the
   * last commit.
   */
  private boolean isOutage(List<PolledRecord<K, V>> batch, Exception error) {
    Optional<String> signature = ctx.dialect.outageSignature(error);
    if (signature.isEmpty()) {
      return false;
    }
    if (batch.size() == 1) {
      return signature.get().equals(outage);
    }
    int half = batch.size() / 2;
    for (List<PolledRecord<K, V>> part :
        List.of(batch.subList(0, half), batch.subList(half, batch.size()))) {
      Optional<Exception> failed = transaction.probe(part);
      if (failed.isEmpty() || !ctx.dialect.outageSignature(failed.get()).equals(signature)) {
        return false;
      }
    }
    if (!signature.get().equals(outage)) {
      log.warn(
          "db sink {}: both halves of a batch of {} fail alike ({}): an outage, not a poison"
              + " record; retrying instead of bisecting: {}",
          ctx.instanceId(),
          batch.size(),
          signature.get(),
          error.toString());
    }
    outage = signature.get();
    return true;
  }
}
