package dev.exactly.processor;

import dev.exactly.DeadLetterReason;
import dev.exactly.Ticker;
import dev.exactly.internal.DeadLetterWarnings;
import dev.exactly.internal.DeadLetters;
import dev.exactly.internal.TypedRecords;
import dev.exactly.internal.Waits;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one input record through the user's function: deserializes it, calls the function (again,
 * after a transient failure, in place), sends its outputs, or gives the record up to the
 * dead-letter topic (in the batch's transaction) when it cannot be read, when retrying cannot help,
 * or when its attempts are spent. Engine thread only.
 *
 * @param <K> input key type
 * @param <V> input value type
 * @param <OK> output key type
 * @param <OV> output value type
 */
final class RecordRunner<K, V, OK, OV> {
  private static final Logger log = LoggerFactory.getLogger(ExactlyOnceProcessor.class);

  private final ProcessorSettings settings;
  private final ProcessorMetrics metrics;
  private final Ticker ticker;
  private final Batch batch;
  private final OutputProducer out;
  private final FailedAttempts attempts;
  private final Deserializer<K> keyDeserializer;
  private final Deserializer<V> valueDeserializer;
  private final BufferedOutput<OK, OV> outputs;
  private final RecordProcessor<K, V, OK, OV> function;
  private final DeadLetterWarnings warnings;

  @SuppressWarnings("unchecked")
  RecordRunner(
      ProcessorSettings settings,
      ProcessorMetrics metrics,
      Batch batch,
      OutputProducer out,
      FailedAttempts attempts) {
    this.warnings = new DeadLetterWarnings("processor " + settings.name(), settings.ticker());
    this.settings = settings;
    this.metrics = metrics;
    this.ticker = settings.ticker();
    this.batch = batch;
    this.out = out;
    this.attempts = attempts;
    this.keyDeserializer = (Deserializer<K>) settings.keyDeserializer();
    this.valueDeserializer = (Deserializer<V>) settings.valueDeserializer();
    this.outputs =
        new BufferedOutput<>(
            (Serializer<OK>) settings.keySerializer(), (Serializer<OV>) settings.valueSerializer());
    this.function = (RecordProcessor<K, V, OK, OV>) settings.processor();
  }

  /** How a record's run ended. */
  enum Result {
    /** Its outputs are sent (or held), or it was dead-lettered: its offset commits. */
    DONE,
    /** As {@link #DONE}, after at least one failed attempt and a backoff waited in place. */
    DONE_AFTER_RETRY,
    /**
     * The processor stopped (or the thread was interrupted) while the record waited for its next
     * attempt: the record is not done, nor is any record after it in the poll.
     */
    STOPPED
  }

  /**
   * Processes {@code raw} in the open batch and advances its offset. A transient failure of the
   * function is retried here, in place, after the policy's backoff on the ticker: the batch's
   * transaction stays open and the failed attempt's outputs, still buffered, are discarded. Only
   * Kafka's own failures abort a batch.
   *
   * @param running whether the engine goes on; a backoff ends early when it turns false
   */
  Result run(ConsumerRecord<byte[], byte[]> raw, BooleanSupplier running) {
    TopicPartition tp = new TopicPartition(raw.topic(), raw.partition());
    metrics.recordsIn.increment();
    ConsumerRecord<K, V> record;
    try {
      record = TypedRecords.deserialize(raw, keyDeserializer, valueDeserializer);
    } catch (RuntimeException e) {
      deadLetter(raw, e, DeadLetterReason.DESERIALIZATION, 1, ticker.millis());
      batch.advance(raw);
      return Result.DONE;
    }
    FailedAttempts.Failure failed = attempts.of(tp, raw.offset());
    if (failed != null && failed.givenUp()) {
      // Given up in a batch that then aborted for a Kafka failure: the decision stands, and the
      // function is not called again.
      deadLetter(
          raw,
          failed.last(),
          DeadLetterReason.RETRIES_EXHAUSTED,
          failed.attempts(),
          failed.givenUpMillis());
      batch.advance(raw);
      return Result.DONE;
    }
    // Attempts made before a Kafka failure aborted an earlier batch count too.
    int attempt = failed == null ? 1 : failed.attempts() + 1;
    boolean retried = false;
    while (true) {
      Exception e = attempt(record);
      if (e == null) {
        break;
      }
      if (settings.failures().isNonRetriable(e)) {
        deadLetter(raw, e, DeadLetterReason.NON_RETRIABLE, attempt, ticker.millis());
        batch.advance(raw);
        return retried ? Result.DONE_AFTER_RETRY : Result.DONE;
      }
      if (!settings.retry().canRetryAfter(attempt)) {
        long now = ticker.millis();
        attempts.failed(tp, raw.offset(), new FailedAttempts.Failure(attempt, e, true, now));
        deadLetter(raw, e, DeadLetterReason.RETRIES_EXHAUSTED, attempt, now);
        batch.advance(raw);
        return retried ? Result.DONE_AFTER_RETRY : Result.DONE;
      }
      attempts.failed(tp, raw.offset(), new FailedAttempts.Failure(attempt, e, false, 0));
      Duration backoff = settings.retry().backoffAfter(attempt);
      log.warn(
          "processor {}: {}-{}@{} failed (attempt {}), retrying in {} within batch {}",
          settings.name(),
          raw.topic(),
          raw.partition(),
          raw.offset(),
          attempt,
          backoff,
          batch.number(),
          e);
      if (!Waits.sleepWhileQuietly(ticker, backoff, running)) {
        return Result.STOPPED;
      }
      retried = true;
      attempt++;
    }
    boolean hold = batch.holds();
    for (BufferedOutput.Serialized o : outputs.outputs()) {
      out.output(hold, o.topic(), o.partition(), o.key(), o.value(), o.headers());
      metrics.recordsOut.increment();
    }
    batch.advance(raw);
    return retried ? Result.DONE_AFTER_RETRY : Result.DONE;
  }

  /**
   * One call of the function, its outputs buffered: returns what it threw, or null, in which case
   * {@link #outputs} holds its outputs. A new attempt forgets the outputs of the one before.
   */
  private Exception attempt(ConsumerRecord<K, V> record) {
    outputs.reset(batch.number());
    try {
      function.process(record, outputs);
      return null;
    } catch (Exception e) {
      return e;
    } finally {
      outputs.close();
    }
  }

  /**
   * Gives a record up to the dead-letter topic, in the batch's transaction. The dead letter's own
   * timestamp is the time it was given up, on the ticker: it may be held and sent later, or sent
   * again after an abort, and the dead-letter topic's retention must count from the decision.
   */
  private void deadLetter(
      ConsumerRecord<byte[], byte[]> raw,
      Exception e,
      DeadLetterReason why,
      int tries,
      long givenUpMillis) {
    ProducerRecord<byte[], byte[]> built =
        DeadLetters.ofRecord(settings.deadLetterTopic(), raw, why, e, tries);
    warnings.gaveUp(
        raw.topic()
            + "-"
            + raw.partition()
            + "@"
            + raw.offset()
            + " after "
            + tries
            + " attempt(s)",
        settings.deadLetterTopic(),
        why,
        e);
    out.record(
        batch.holds(),
        new ProducerRecord<>(
            built.topic(), null, givenUpMillis, built.key(), built.value(), built.headers()));
    metrics.deadLetters.increment();
  }
}
