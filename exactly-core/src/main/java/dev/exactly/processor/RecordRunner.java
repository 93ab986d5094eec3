package dev.exactly.processor;

import dev.exactly.DeadLetterReason;
import dev.exactly.Ticker;
import dev.exactly.internal.DeadLetters;
import dev.exactly.internal.TypedRecords;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one input record through the user's function: deserializes it, calls the function, sends its
 * outputs, or gives the record up to the dead-letter topic (in the batch's transaction) when it
 * cannot be read, when retrying cannot help, or when its attempts are spent. Engine thread only.
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

  @SuppressWarnings("unchecked")
  RecordRunner(
      ProcessorSettings settings,
      ProcessorMetrics metrics,
      Batch batch,
      OutputProducer out,
      FailedAttempts attempts) {
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

  /**
   * Processes {@code raw} in the open batch and advances its offset.
   *
   * @throws Rewind when the function failed and another attempt follows: the batch is to be
   *     aborted, the partitions rewound, and the record tried again after the backoff
   */
  void run(ConsumerRecord<byte[], byte[]> raw) {
    TopicPartition tp = new TopicPartition(raw.topic(), raw.partition());
    metrics.recordsIn.increment();
    ConsumerRecord<K, V> record;
    try {
      record = TypedRecords.deserialize(raw, keyDeserializer, valueDeserializer);
    } catch (RuntimeException e) {
      deadLetter(raw, e, DeadLetterReason.DESERIALIZATION, 1, ticker.millis());
      batch.advance(raw);
      return;
    }
    FailedAttempts.Failure failed = attempts.of(tp, raw.offset());
    if (failed != null && failed.givenUp()) {
      // Given up in a batch that then aborted for another record: the decision stands, and the
      // function is not called again.
      deadLetter(
          raw,
          failed.last(),
          DeadLetterReason.RETRIES_EXHAUSTED,
          failed.attempts(),
          failed.givenUpMillis());
      batch.advance(raw);
      return;
    }
    int attempt = failed == null ? 1 : failed.attempts() + 1;
    outputs.reset(batch.number());
    try {
      function.process(record, outputs);
    } catch (Exception e) {
      if (settings.failures().isNonRetriable(e)) {
        deadLetter(raw, e, DeadLetterReason.NON_RETRIABLE, attempt, ticker.millis());
      } else if (!settings.retry().canRetryAfter(attempt)) {
        long now = ticker.millis();
        attempts.failed(tp, raw.offset(), new FailedAttempts.Failure(attempt, e, true, now));
        deadLetter(raw, e, DeadLetterReason.RETRIES_EXHAUSTED, attempt, now);
      } else {
        attempts.failed(tp, raw.offset(), new FailedAttempts.Failure(attempt, e, false, 0));
        throw new Rewind(e, attempt, settings.retry().backoffAfter(attempt));
      }
      batch.advance(raw);
      return;
    } finally {
      outputs.close();
    }
    boolean hold = batch.holds();
    for (BufferedOutput.Serialized o : outputs.outputs()) {
      out.output(hold, o.topic(), o.partition(), o.key(), o.value(), o.headers());
      metrics.recordsOut.increment();
    }
    batch.advance(raw);
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
    log.warn(
        "processor {}: {}-{}@{} goes to dead-letter topic {} ({}, {} attempt(s)): {}",
        settings.name(),
        raw.topic(),
        raw.partition(),
        raw.offset(),
        settings.deadLetterTopic(),
        why,
        tries,
        e.toString());
    out.record(
        batch.holds(),
        new ProducerRecord<>(
            built.topic(), null, givenUpMillis, built.key(), built.value(), built.headers()));
    metrics.deadLetters.increment();
  }
}
