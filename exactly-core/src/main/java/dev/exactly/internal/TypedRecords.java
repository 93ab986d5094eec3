package dev.exactly.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

/** Rebuilding a consumed record with its key and value deserialized, everything else kept. */
public final class TypedRecords {
  private TypedRecords() {}

  /**
   * Deserializes the key and the value of {@code raw}, with its topic and headers as the
   * deserializers expect.
   *
   * @throws RuntimeException whatever a deserializer threw: the record is undeserializable
   */
  public static <K, V> ConsumerRecord<K, V> deserialize(
      ConsumerRecord<byte[], byte[]> raw, Deserializer<K> keys, Deserializer<V> values) {
    K key = keys.deserialize(raw.topic(), raw.headers(), raw.key());
    V value = values.deserialize(raw.topic(), raw.headers(), raw.value());
    return typed(raw, key, value);
  }

  public static <K, V> ConsumerRecord<K, V> typed(
      ConsumerRecord<byte[], byte[]> raw, K key, V value) {
    return new ConsumerRecord<>(
        raw.topic(),
        raw.partition(),
        raw.offset(),
        raw.timestamp(),
        raw.timestampType(),
        raw.serializedKeySize(),
        raw.serializedValueSize(),
        key,
        value,
        raw.headers(),
        raw.leaderEpoch());
  }
}
