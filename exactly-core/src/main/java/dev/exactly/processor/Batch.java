package dev.exactly.processor;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The open batch's life, in one object: whether one is open, where its outputs go, whether its
 * commit waits for a rebalance, and the offsets it will commit. Engine thread only.
 *
 * <pre>
 * EMPTY --open--&gt; HOLDING --transactionBegun--&gt; SENDING --(commit handed off, committed, dropped)--&gt; EMPTY
 *       --open--&gt; SENDING                       SENDING &lt;--&gt; WAITING_FOR_REBALANCE (at-least-once)
 * </pre>
 */
final class Batch {
  /** Where the open batch stands. */
  enum Phase {
    /** No batch is open. */
    EMPTY,
    /**
     * Exactly-once: open while the previous batch commits; its outputs are held in memory until
     * that commit returns and its own transaction begins.
     */
    HOLDING,
    /** Open; its outputs go to the producer (exactly-once: its transaction has begun). */
    SENDING,
    /**
     * At-least-once: open, its outputs sent, its offset commit met a rebalance in progress and is
     * tried again once the next poll has moved the rebalance on, not at every record until then.
     */
    WAITING_FOR_REBALANCE
  }

  private final Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
  private Phase phase = Phase.EMPTY;
  private long number;
  private int records;
  private long startNanos;

  Phase phase() {
    return phase;
  }

  boolean isOpen() {
    return phase != Phase.EMPTY;
  }

  /** Whether the batch's outputs are to be held rather than sent. */
  boolean holds() {
    return phase == Phase.HOLDING;
  }

  boolean waitsForRebalance() {
    return phase == Phase.WAITING_FOR_REBALANCE;
  }

  /**
   * Opens the next batch.
   *
   * @param sending whether its outputs can go out at once (no commit in flight, or at-least-once)
   */
  void open(long nowNanos, boolean sending) {
    number++;
    records = 0;
    startNanos = nowNanos;
    pending.clear();
    phase = sending ? Phase.SENDING : Phase.HOLDING;
  }

  /** Exactly-once: the batch's transaction has begun; its outputs go out from now on. */
  void transactionBegun() {
    phase = Phase.SENDING;
  }

  void waitForRebalance() {
    phase = Phase.WAITING_FOR_REBALANCE;
  }

  /** A poll has returned: a commit that waited for a rebalance may be tried again. */
  void polled() {
    if (phase == Phase.WAITING_FOR_REBALANCE) {
      phase = Phase.SENDING;
    }
  }

  /** The record is done with (outputs sent or held, or dead-lettered): its offset commits. */
  void advance(ConsumerRecord<byte[], byte[]> raw) {
    pending.put(
        new TopicPartition(raw.topic(), raw.partition()),
        new OffsetAndMetadata(raw.offset() + 1, raw.leaderEpoch(), ""));
    records++;
  }

  /** The offsets the batch commits. */
  Map<TopicPartition, OffsetAndMetadata> offsets() {
    return Map.copyOf(pending);
  }

  /** The batch is over: handed to the committer, committed or dropped. */
  void close() {
    phase = Phase.EMPTY;
    pending.clear();
    records = 0;
  }

  /** Partitions revoked or lost: their offsets are not this instance's to commit any more. */
  void forget(Collection<TopicPartition> partitions) {
    pending.keySet().removeAll(partitions);
  }

  /** The batch's number, counted from 1; the last batch's once it is closed. */
  long number() {
    return number;
  }

  int records() {
    return records;
  }

  /** How long the open batch has been open. */
  long openNanos(long nowNanos) {
    return nowNanos - startNanos;
  }
}
