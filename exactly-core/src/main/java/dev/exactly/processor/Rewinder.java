package dev.exactly.processor;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The last committed offset of every partition this instance owns, and the rewind to them: the open
 * batch is dropped (its transaction, if any, already aborted) and every owned partition is read
 * again from its last commit. Engine thread only.
 */
final class Rewinder {
  private final Map<TopicPartition, Long> committed = new HashMap<>();
  private final Consumer<byte[], byte[]> consumer;
  private final Batch batch;
  private final OutputProducer out;

  Rewinder(Consumer<byte[], byte[]> consumer, Batch batch, OutputProducer out) {
    this.consumer = consumer;
    this.batch = batch;
    this.out = out;
  }

  /** Newly assigned partitions start where the group's committed offsets put the consumer. */
  void assigned(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      committed.put(tp, consumer.position(tp));
    }
  }

  /** A commit's offsets are the new rewind points of the partitions still owned. */
  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    // A partition given up since is not ours to track any more.
    offsets.forEach((tp, o) -> committed.computeIfPresent(tp, (k, old) -> o.offset()));
  }

  void forget(Collection<TopicPartition> partitions) {
    committed.keySet().removeAll(partitions);
  }

  /** Forgets the open batch and seeks every owned partition back to its last commit. */
  void dropBatchAndRewind() {
    batch.close();
    out.drop();
    // Only partitions still owned: a lost or revoked one was forgotten before this runs.
    committed.forEach(consumer::seek);
  }
}
