package dev.exactly.processor;

import org.apache.kafka.common.header.Header;

/**
 * Where a {@link RecordProcessor} sends the outputs of one input record. Outputs join the current
 * batch's transaction; they become visible to {@code read_committed} readers when the batch
 * commits, together with the input's offset, or never.
 *
 * <p>If the processor function throws, every output it sent for that record is discarded. Used only
 * on the engine thread, only during the call it was passed to: a send after that call returned, or
 * from another thread, throws {@link IllegalStateException} rather than lose the output.
 *
 * @param <K> output key type
 * @param <V> output value type
 */
public interface Output<K, V> {

  /** Sends to {@code topic}, partitioned by key as the producer's partitioner decides. */
  void send(String topic, K key, V value);

  /**
   * Sends to an explicit partition (null: by key) with headers (null: none).
   *
   * @throws org.apache.kafka.common.errors.SerializationException when a serializer fails; thrown
   *     from the processor function, it sends the input record to the dead-letter topic
   */
  void send(String topic, Integer partition, K key, V value, Iterable<Header> headers);

  /**
   * The number of the batch, that is the transaction, these outputs join: 1, 2, 3... counted from
   * each start of this processor, aborted batches included. With the instance id and a start id it
   * names one processing attempt, which tests use to tell committed attempts from aborted ones.
   */
  long batch();
}
