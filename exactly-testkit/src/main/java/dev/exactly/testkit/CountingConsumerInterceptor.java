package dev.exactly.testkit;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A consumer interceptor that counts the records it sees, for tests that give a component a user's
 * {@code interceptor.classes} and check that its consumer used it and its other clients did not
 * choke on it.
 */
public final class CountingConsumerInterceptor<K, V> implements ConsumerInterceptor<K, V> {
  private static final AtomicLong SEEN = new AtomicLong();

  /** Records seen by every instance in this JVM since it started. */
  public static long seen() {
    return SEEN.get();
  }

  @Override
  public ConsumerRecords<K, V> onConsume(ConsumerRecords<K, V> records) {
    SEEN.addAndGet(records.count());
    return records;
  }

  @Override
  public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
