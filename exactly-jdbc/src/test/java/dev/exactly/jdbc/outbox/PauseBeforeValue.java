package dev.exactly.jdbc.outbox;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A producer interceptor that stalls the first send of the record whose value is {@link #VALUE},
 * once per JVM, so a test can let the producer's sender thread run between two sends.
 */
public final class PauseBeforeValue implements ProducerInterceptor<byte[], byte[]> {
  static final String VALUE = "k:2";
  static final long PAUSE_MILLIS = 500;
  static final AtomicBoolean PAUSED = new AtomicBoolean();

  private static final byte[] MATCH = VALUE.getBytes(StandardCharsets.UTF_8);

  @Override
  public ProducerRecord<byte[], byte[]> onSend(ProducerRecord<byte[], byte[]> record) {
    if (Arrays.equals(MATCH, record.value()) && PAUSED.compareAndSet(false, true)) {
      try {
        Thread.sleep(PAUSE_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return record;
  }

  @Override
  public void onAcknowledgement(RecordMetadata metadata, Exception exception) {}

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
