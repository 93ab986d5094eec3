package dev.exactly.processor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Collects one input record's outputs, serialized at once, so that a function that throws halfway
 * leaves nothing behind: the engine sends them only after the function returns.
 */
final class BufferedOutput<K, V> implements Output<K, V> {
  private final Serializer<K> keySerializer;
  private final Serializer<V> valueSerializer;
  private final long batch;
  private final List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(2);

  BufferedOutput(Serializer<K> keySerializer, Serializer<V> valueSerializer, long batch) {
    this.keySerializer = keySerializer;
    this.valueSerializer = valueSerializer;
    this.batch = batch;
  }

  @Override
  public void send(String topic, K key, V value) {
    send(topic, null, key, value, null);
  }

  @Override
  public void send(String topic, Integer partition, K key, V value, Iterable<Header> headers) {
    Objects.requireNonNull(topic, "topic");
    RecordHeaders h = new RecordHeaders(headers == null ? List.of() : headers);
    byte[] k = keySerializer.serialize(topic, h, key);
    byte[] v = valueSerializer.serialize(topic, h, value);
    records.add(new ProducerRecord<>(topic, partition, null, k, v, h));
  }

  @Override
  public long batch() {
    return batch;
  }

  List<ProducerRecord<byte[], byte[]>> records() {
    return records;
  }
}
