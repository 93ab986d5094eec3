package dev.exactly.processor;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last committed offset of every partition this instance owns, and the rewind to them: the open
 * batch is dropped (its transaction, if any, already aborted) and every owned partition is read
 * again from its last commit.
 *
 * <p>An assigned partition whose committed offset cannot be read yet waits, paused, and is asked
 * again after every poll: read_committed consumers cannot read a group's offsets while a
 * transaction that holds offsets of the group is open, and the transaction of an instance that died
 * in its commit stays open until its {@code transaction.timeout.ms}. Engine thread only.
 */
final class Rewinder {
  private static final Logger log = LoggerFactory.getLogger(ExactlyOnceProcessor.class);

  private final Map<TopicPartition, Long> committed = new HashMap<>();
  // Assigned, paused, and waiting for their committed offsets to be readable.
  private final Set<TopicPartition> unpositioned = new LinkedHashSet<>();
  private final String name;
  private final Consumer<byte[], byte[]> consumer;
  private final Batch batch;
  private final OutputProducer out;
  private final Duration positionWait;

  /**
   * @param positionWait how long one attempt to read a partition's committed offset may block the
   *     engine (which must go on polling meanwhile)
   */
  Rewinder(
      String name,
      Consumer<byte[], byte[]> consumer,
      Batch batch,
      OutputProducer out,
      Duration positionWait) {
    this.name = name;
    this.consumer = consumer;
    this.batch = batch;
    this.out = out;
    this.positionWait = positionWait;
  }

  /**
   * Newly assigned partitions start where the group's committed offsets put the consumer; one whose
   * offset cannot be read yet is paused until {@link #positionWaiting} reads it.
   */
  void assigned(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      try {
        committed.put(tp, consumer.position(tp, positionWait));
      } catch (TimeoutException e) {
        // Not an error of this instance: its records must not be read before the rewind point is
        // known, so the partition waits while the others are processed.
        consumer.pause(List.of(tp));
        unpositioned.add(tp);
        log.warn(
            "processor {}: the committed offset of {} cannot be read yet ({}); most likely a"
                + " transaction holding the group's offsets is still open, such as one of an"
                + " instance that died committing, which the coordinator aborts at its"
                + " transaction.timeout.ms. The partition waits, paused, and is asked again after"
                + " every poll",
            name,
            tp,
            e.toString());
      }
    }
  }

  /** Asks again for the committed offsets of partitions still waiting; resumes those it learns. */
  void positionWaiting() {
    for (Iterator<TopicPartition> it = unpositioned.iterator(); it.hasNext(); ) {
      TopicPartition tp = it.next();
      try {
        committed.put(tp, consumer.position(tp, positionWait));
      } catch (TimeoutException e) {
        continue;
      }
      it.remove();
      consumer.resume(List.of(tp));
      log.info("processor {}: {} starts at its committed offset {}", name, tp, committed.get(tp));
    }
  }

  /** A commit's offsets are the new rewind points of the partitions still owned. */
  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    // A partition given up since is not ours to track any more.
    offsets.forEach((tp, o) -> committed.computeIfPresent(tp, (k, old) -> o.offset()));
  }

  void forget(Collection<TopicPartition> partitions) {
    committed.keySet().removeAll(partitions);
    unpositioned.removeAll(partitions);
  }

  /** Forgets the open batch and seeks every owned partition back to its last commit. */
  void dropBatchAndRewind() {
    batch.close();
    out.drop();
    // Only partitions still owned: a lost or revoked one was forgotten before this runs.
    committed.forEach(consumer::seek);
  }
}
