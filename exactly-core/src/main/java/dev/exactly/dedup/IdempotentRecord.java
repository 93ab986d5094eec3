package dev.exactly.dedup;

import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A record handed to an {@link IdempotentConsumer}'s handler, with the dedup key it was claimed
 * under. Relay {@link #dedupKey()} to the downstream system (see {@link IdempotencyKey}) so that it
 * can close the one window the store cannot: the effect done, its completion not yet stored.
 *
 * @param record the deserialized record
 * @param dedupKey the key claimed for it
 */
public record IdempotentRecord<K, V>(ConsumerRecord<K, V> record, String dedupKey) {
  public IdempotentRecord {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(dedupKey, "dedupKey");
  }

  public K key() {
    return record.key();
  }

  public V value() {
    return record.value();
  }
}
