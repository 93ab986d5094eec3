package dev.exactly.internal;

import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dead-letter producer of an engine that has no Kafka transaction of its own (DB sink,
 * idempotent consumer): sends one dead letter and waits until Kafka has it, so the caller commits
 * the record's offset only after its dead letter is safe. A crash in between re-sends it (a
 * duplicate in the dead-letter topic), never loses it.
 *
 * <p>The producer is created at the first dead letter: most runs never need one. One engine thread
 * uses it; {@link #close} may come from another.
 */
public final class DeadLetterProducer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeadLetterProducer.class);

  private final Map<String, Object> properties;
  private final String owner;
  private final RetryPolicy backoff;
  private final Ticker ticker;
  private volatile KafkaProducer<byte[], byte[]> producer;

  /**
   * @param userProperties the user's Kafka properties (of the consumer)
   * @param owner the component's name for logs and the client id, for example {@code
   *     exactly-sink-orders/node-1}
   * @param backoff the waits between attempts to write one dead letter; its {@code maxAttempts} is
   *     not used: a dead letter is retried until it is written or the engine stops
   */
  public DeadLetterProducer(
      Map<String, ?> userProperties, String owner, RetryPolicy backoff, Ticker ticker) {
    this.properties = DeadLetters.producerProperties(userProperties, owner + "-dlt");
    this.owner = owner;
    this.backoff = backoff;
    this.ticker = ticker;
  }

  /**
   * Writes {@code record} and waits for Kafka's acknowledgement, retrying a failed write with
   * backoff for as long as {@code keepTrying} says.
   *
   * @return true once written; false if {@code keepTrying} turned false first (the engine is
   *     stopping: the record's offset must not be committed)
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean send(ProducerRecord<byte[], byte[]> record, BooleanSupplier keepTrying)
      throws InterruptedException {
    int attempt = 1;
    while (keepTrying.getAsBoolean()) {
      try {
        producer().send(record).get();
        return true;
      } catch (ExecutionException | KafkaException e) {
        Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
        Duration wait = backoff.backoffAfter(attempt++);
        log.warn(
            "{}: cannot write to dead-letter topic {} ({}); the record's offset waits, retrying in"
                + " {}; create the topic or grant write access if this lasts",
            owner,
            record.topic(),
            cause.toString(),
            wait);
        Waits.sleepWhile(ticker, wait, keepTrying);
      }
    }
    return false;
  }

  private KafkaProducer<byte[], byte[]> producer() {
    KafkaProducer<byte[], byte[]> p = producer;
    if (p == null) {
      p = new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
      producer = p;
    }
    return p;
  }

  /** Closes the producer, waiting at most {@code timeout} for sends in flight. */
  public void close(Duration timeout) {
    KafkaProducer<byte[], byte[]> p = producer;
    if (p != null) {
      try {
        p.close(timeout);
      } catch (RuntimeException e) {
        log.warn("{}: closing the dead-letter producer failed", owner, e);
      }
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
