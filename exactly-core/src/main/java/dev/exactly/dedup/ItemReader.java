package dev.exactly.dedup;

import dev.exactly.DeadLetterReason;
import dev.exactly.NonRetriableException;
import dev.exactly.internal.TypedRecords;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Turns a polled record into an {@link Item}: deserializes it and finds its namespaced dedup key. A
 * record that fails either is marked for the dead-letter topic rather than thrown, so it never
 * blocks its partition.
 */
final class ItemReader<K, V> {
  private final Deserializer<K> keyDeserializer;
  private final Deserializer<V> valueDeserializer;
  private final DedupKey dedupKey;
  private final String namespace;
  private final boolean namespaceRelayedKey;

  ItemReader(ConsumerSettings<K, V> s) {
    this.keyDeserializer = s.keyDeserializer();
    this.valueDeserializer = s.valueDeserializer();
    this.dedupKey = s.dedupKey();
    this.namespace = s.namespace();
    this.namespaceRelayedKey = s.namespaceIdempotencyKey();
  }

  Item<K, V> read(ConsumerRecord<byte[], byte[]> raw) {
    ConsumerRecord<K, V> record;
    try {
      record = TypedRecords.deserialize(raw, keyDeserializer, valueDeserializer);
    } catch (RuntimeException e) {
      return Item.bad(raw, DeadLetterReason.DESERIALIZATION, e);
    }
    String k;
    try {
      k = dedupKey.keyOf(record);
    } catch (RuntimeException e) {
      return Item.bad(
          raw,
          DeadLetterReason.NON_RETRIABLE,
          new NonRetriableException("no dedup key: " + e.getMessage(), e));
    }
    if (k == null || k.isEmpty()) {
      return Item.bad(
          raw, DeadLetterReason.NON_RETRIABLE, new NonRetriableException("the dedup key is empty"));
    }
    String full = namespace + ":" + k;
    if (full.length() > DedupStore.MAX_KEY_LENGTH) {
      return Item.bad(
          raw,
          DeadLetterReason.NON_RETRIABLE,
          new NonRetriableException(
              "the dedup key has "
                  + full.length()
                  + " characters with its namespace; the store takes at most "
                  + DedupStore.MAX_KEY_LENGTH));
    }
    return Item.good(raw, record, full, namespaceRelayedKey ? full : k);
  }

  void close() {
    keyDeserializer.close();
    valueDeserializer.close();
  }
}
