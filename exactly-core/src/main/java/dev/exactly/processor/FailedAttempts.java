package dev.exactly.processor;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Failed attempts per record, kept until the record's offset commits: an abort caused by another
 * record must neither reset a count nor undo a decision to give a record up. Thread-safe: records
 * of different keys fail on different worker threads.
 */
final class FailedAttempts {
  /**
   * How often a record has failed so far, and whether (and when, on the ticker) it was given up.
   */
  record Failure(int attempts, Exception last, boolean givenUp, long givenUpMillis) {}

  private final Map<TopicPartition, TreeMap<Long, Failure>> failures = new HashMap<>();

  /** The record's failures so far, or null. */
  synchronized Failure of(TopicPartition tp, long offset) {
    TreeMap<Long, Failure> partition = failures.get(tp);
    return partition == null ? null : partition.get(offset);
  }

  synchronized void failed(TopicPartition tp, long offset, Failure failure) {
    failures.computeIfAbsent(tp, k -> new TreeMap<>()).put(offset, failure);
  }

  /** Offsets below the committed ones are done with for good. */
  synchronized void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach(
        (tp, o) -> {
          TreeMap<Long, Failure> f = failures.get(tp);
          if (f != null) {
            f.headMap(o.offset()).clear();
          }
        });
  }

  synchronized void forget(Collection<TopicPartition> partitions) {
    failures.keySet().removeAll(partitions);
  }
}
