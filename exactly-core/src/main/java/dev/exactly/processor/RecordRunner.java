package dev.exactly.processor;

import dev.exactly.DeadLetterReason;
import dev.exactly.Ticker;
import dev.exactly.internal.DeadLetterWarnings;
import dev.exactly.internal.DeadLetters;
import dev.exactly.internal.TypedRecords;
import dev.exactly.internal.Waits;
import java.time.Duration;
import java.util.List;
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
 * or when its attempts are spent. {@link #compute} may run on worker threads (one key's records on
 * one thread at a time); {@link #emit} and everything else on the engine thread.
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
  private final Serializer<OK> keySerializer;
  private final Serializer<OV> valueSerializer;
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
    this.keySerializer = (Serializer<OK>) settings.keySerializer();
    this.valueSerializer = (Serializer<OV>) settings.valueSerializer();
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
   * What the function made of one record, not yet in the transaction: its serialized outputs, or
   * the dead letter it is given up as, or nothing because the processor stopped first.
   */
  static final class Computed {
    final ConsumerRecord<byte[], byte[]> raw;
    final Result result;
    final List<BufferedOutput.Serialized> outputs;
    final Exception failure;
    final DeadLetterReason reason;
    final int tries;
    final long givenUpMillis;

    private Computed(
        ConsumerRecord<byte[], byte[]> raw,
        Result result,
        List<BufferedOutput.Serialized> outputs,
        Exception failure,
        DeadLetterReason reason,
        int tries,
        long givenUpMillis) {
      this.raw = raw;
      this.result = result;
      this.outputs = outputs;
      this.failure = failure;
      this.reason = reason;
      this.tries = tries;
      this.givenUpMillis = givenUpMillis;
    }

    static Computed stopped(ConsumerRecord<byte[], byte[]> raw) {
      return new Computed(raw, Result.STOPPED, List.of(), null, null, 0, 0);
    }

    private static Computed outputs(
        ConsumerRecord<byte[], byte[]> raw,
        List<BufferedOutput.Serialized> outputs,
        boolean retried) {
      return new Computed(
          raw, retried ? Result.DONE_AFTER_RETRY : Result.DONE, outputs, null, null, 0, 0);
    }

    private static Computed deadLetter(
        ConsumerRecord<byte[], byte[]> raw,
        Exception e,
        DeadLetterReason why,
        int tries,
        long givenUpMillis,
        boolean retried) {
      return new Computed(
          raw,
          retried ? Result.DONE_AFTER_RETRY : Result.DONE,
          List.of(),
          e,
          why,
          tries,
          givenUpMillis);
    }
  }

  /**
   * Processes {@code raw} in the open batch and advances its offset: {@link #compute} then {@link
   * #emit}.
   *
   * @param running whether the engine goes on; a backoff ends early when it turns false
   */
  Result run(ConsumerRecord<byte[], byte[]> raw, BooleanSupplier running) {
    return emit(compute(raw, running));
  }

  /**
   * Runs {@code raw} through the function. A transient failure is retried here, in place, after the
   * policy's backoff on the ticker: the batch's transaction stays open and the failed attempt's
   * outputs are discarded. Only Kafka's own failures abort a batch. Touches nothing of the
   * transaction, so records of different keys may be computed on several threads at once.
   *
   * @param running whether the engine goes on; a backoff ends early when it turns false
   */
  Computed compute(ConsumerRecord<byte[], byte[]> raw, BooleanSupplier running) {
    TopicPartition tp = new TopicPartition(raw.topic(), raw.partition());
    metrics.recordsIn.increment();
    ConsumerRecord<K, V> record;
    try {
      record = TypedRecords.deserialize(raw, keyDeserializer, valueDeserializer);
    } catch (RuntimeException e) {
      return Computed.deadLetter(
          raw, e, DeadLetterReason.DESERIALIZATION, 1, ticker.millis(), false);
    }
    FailedAttempts.Failure failed = attempts.of(tp, raw.offset());
    if (failed != null && failed.givenUp()) {
      // Given up in a batch that then aborted for a Kafka failure: the decision stands, and the
      // function is not called again.
      return Computed.deadLetter(
          raw,
          failed.last(),
          DeadLetterReason.RETRIES_EXHAUSTED,
          failed.attempts(),
          failed.givenUpMillis(),
          false);
    }
    // Attempts made before a Kafka failure aborted an earlier batch count too.
    int attempt = failed == null ? 1 : failed.attempts() + 1;
    boolean retried = false;
    BufferedOutput<OK, OV> outputs = new BufferedOutput<>(keySerializer, valueSerializer);
    while (true) {
      Exception e = attempt(record, outputs);
      if (e == null) {
        return Computed.outputs(raw, outputs.outputs(), retried);
      }
      if (settings.failures().isNonRetriable(e)) {
        return Computed.deadLetter(
            raw, e, DeadLetterReason.NON_RETRIABLE, attempt, ticker.millis(), retried);
      }
      if (!settings.retry().canRetryAfter(attempt)) {
        long now = ticker.millis();
        attempts.failed(tp, raw.offset(), new FailedAttempts.Failure(attempt, e, true, now));
        return Computed.deadLetter(
            raw, e, DeadLetterReason.RETRIES_EXHAUSTED, attempt, now, retried);
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
        return Computed.stopped(raw);
      }
      retried = true;
      attempt++;
    }
  }

  /**
   * Puts a computed record into the open batch, in the order the engine calls this (input-offset
   * order per partition): sends its outputs or its dead letter and advances its offset. Engine
   * thread only.
   */
  Result emit(Computed c) {
    if (c.result == Result.STOPPED) {
      return Result.STOPPED;
    }
    if (c.reason != null) {
      deadLetter(c.raw, c.failure, c.reason, c.tries, c.givenUpMillis);
    } else {
      boolean hold = batch.holds();
      for (BufferedOutput.Serialized o : c.outputs) {
        out.output(hold, o.topic(), o.partition(), o.key(), o.value(), o.headers());
        metrics.recordsOut.increment();
      }
    }
    batch.advance(c.raw);
    return c.result;
  }

  /**
   * One call of the function into {@code outputs}: returns what it threw, or null, in which case
   * {@code outputs} holds its outputs. A new attempt forgets the outputs of the one before.
   */
  private Exception attempt(ConsumerRecord<K, V> record, BufferedOutput<OK, OV> outputs) {
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
