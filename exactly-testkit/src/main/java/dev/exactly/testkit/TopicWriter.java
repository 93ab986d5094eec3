package dev.exactly.testkit;

import dev.exactly.testkit.internal.SendFailures;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a test's inputs and fails when any of them did not reach Kafka.
 *
 * <p>{@code flush()} does not throw for a record the producer gave up on: an idempotent producer
 * straight after topic creation was seen to drop records after {@code OUT_OF_ORDER_SEQUENCE}
 * retries (docs/kafka-facts.md). A test that then finds an input "lost" would blame the code under
 * test; this names the real cause instead.
 */
public final class TopicWriter {
  private TopicWriter() {}

  /**
   * Sends every record and flushes, which waits for each acknowledgement.
   *
   * @throws IllegalStateException naming how many sends failed and the first failure's cause
   */
  public static <K, V> void sendAll(
      Producer<K, V> producer, Iterable<? extends ProducerRecord<K, V>> records) {
    SendFailures failures = new SendFailures();
    int sent = 0;
    for (ProducerRecord<K, V> r : records) {
      producer.send(r, failures);
      sent++;
    }
    producer.flush();
    if (failures.count() > 0) {
      throw new IllegalStateException(
          failures.count()
              + " of "
              + sent
              + " test inputs were not written to Kafka; the test cannot judge its output"
              + " (first failure: "
              + failures.first()
              + ")",
          failures.first());
    }
  }
}
