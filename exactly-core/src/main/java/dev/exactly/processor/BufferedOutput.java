package dev.exactly.processor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Collects one input record's outputs, serialized at once, so that a function that throws halfway
 * leaves nothing behind: the engine sends them only after the function returns.
 *
 * <p>One instance per input record; {@link #reset} between attempts, since an output is used only
 * during the call it was passed to.
 */
final class BufferedOutput<K, V> implements Output<K, V> {
  /** One output, serialized; the engine makes it a record only when it goes out. */
  record Serialized(String topic, Integer partition, byte[] key, byte[] value, Headers headers) {}

  private final Serializer<K> keySerializer;
  private final Serializer<V> valueSerializer;
  private final List<Serialized> outputs = new ArrayList<>(2);
  private long batch;
  // The thread running the call, null between calls.
  private volatile Thread caller;

  BufferedOutput(Serializer<K> keySerializer, Serializer<V> valueSerializer) {
    this.keySerializer = keySerializer;
    this.valueSerializer = valueSerializer;
  }

  /** Forgets the outputs of the input before and opens for the next, in {@code batch}. */
  void reset(long batch) {
    this.batch = batch;
    outputs.clear();
    caller = Thread.currentThread();
  }

  /** Ends the call: from now on a send is a misuse, and fails rather than join another input. */
  void close() {
    caller = null;
  }

  @Override
  public void send(String topic, K key, V value) {
    send(topic, null, key, value, null);
  }

  @Override
  public void send(String topic, Integer partition, K key, V value, Iterable<Header> headers) {
    Objects.requireNonNull(topic, "topic");
    // Outside its call a send would be lost or, the instance being reused, join another input.
    if (Thread.currentThread() != caller) {
      throw new IllegalStateException(
          "Output used outside the process call it was passed to (after it returned, or from"
              + " another thread); send only from within that call, on its thread");
    }
    RecordHeaders h = new RecordHeaders(headers == null ? List.of() : headers);
    byte[] k = keySerializer.serialize(topic, h, key);
    byte[] v = valueSerializer.serialize(topic, h, value);
    outputs.add(new Serialized(topic, partition, k, v, h));
  }

  @Override
  public long batch() {
    return batch;
  }

  /** The outputs of the last attempt, as they are now. */
  List<Serialized> outputs() {
    return List.copyOf(outputs);
  }
}
