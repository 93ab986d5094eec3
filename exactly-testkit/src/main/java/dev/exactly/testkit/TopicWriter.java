package dev.exactly.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

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
   * Sends every record, flushes, and waits for each acknowledgement.
   *
   * @throws IllegalStateException naming how many sends failed and the first failure's cause
   */
  public static <K, V> void sendAll(
      Producer<K, V> producer, Iterable<? extends ProducerRecord<K, V>> records) {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (ProducerRecord<K, V> r : records) {
      sent.add(producer.send(r));
    }
    producer.flush();
    int failed = 0;
    Throwable first = null;
    for (Future<RecordMetadata> f : sent) {
      try {
        f.get();
      } catch (ExecutionException e) {
        failed++;
        first = first == null ? e.getCause() : first;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for test inputs to be sent", e);
      }
    }
    if (failed > 0) {
      throw new IllegalStateException(
          failed
              + " of "
              + sent.size()
              + " test inputs were not written to Kafka; the test cannot judge its output"
              + " (first failure: "
              + first
              + ")",
          first);
    }
  }
}
