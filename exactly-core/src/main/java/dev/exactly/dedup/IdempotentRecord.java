package dev.exactly.dedup;

import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A record handed to an {@link IdempotentConsumer}'s handler, with the dedup key it was claimed
 * under and the key to relay downstream. Relay {@link #idempotencyKey()} to the downstream system
 * (see {@link IdempotencyKey}) so that it can close the one window the store cannot: the effect
 * done, its completion not yet stored.
 *
 * @param record the deserialized record
 * @param dedupKey the key claimed for it in the store, namespaced ({@code <namespace>:<key>})
 * @param idempotencyKey the key to relay downstream: the business key the {@link DedupKey} gave, or
 *     the namespaced dedup key where the consumer was built with {@code
 *     namespaceIdempotencyKey(true)}
 */
public record IdempotentRecord<K, V>(
    ConsumerRecord<K, V> record, String dedupKey, String idempotencyKey) {
  public IdempotentRecord {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(dedupKey, "dedupKey");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
  }

  /** A record whose relayed key is its dedup key. */
  public IdempotentRecord(ConsumerRecord<K, V> record, String dedupKey) {
    this(record, dedupKey, dedupKey);
  }

  public K key() {
    return record.key();
  }

  public V value() {
    return record.value();
  }
}
