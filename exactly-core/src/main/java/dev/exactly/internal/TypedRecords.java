package dev.exactly.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Rebuilding a consumed record with its key and value deserialized, everything else kept. */
public final class TypedRecords {
  private TypedRecords() {}

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
