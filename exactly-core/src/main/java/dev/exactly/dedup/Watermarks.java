package dev.exactly.dedup;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * With concurrency: each owned partition's records in flight, in offset order, and its commit
 * point. A partition's offset may pass only records that are done, so its watermark is its lowest
 * record not yet done, or one past the last record polled: a crash never skips an unfinished
 * record, and the done records after it are polled again and found done.
 *
 * <p>Done records are dropped as they are found, in front of an unfinished record or behind it, so
 * a record that never finishes holds back its partition's commit but not memory: what stays is the
 * records not done. Engine thread only.
 */
final class Watermarks {
  private static final class Partition {
    final ArrayDeque<Item<?, ?>> items = new ArrayDeque<>();

    /** One past the last offset polled. */
    long end;

    /** What was last committed (or the first offset polled, before any commit). */
    long committed;

    long watermark() {
      while (!items.isEmpty() && items.peekFirst().done()) {
        items.pollFirst();
      }
      return items.isEmpty() ? end : items.peekFirst().offset();
    }

    int compact() {
      items.removeIf(Item::done);
      return items.size();
    }
  }

  private final Map<TopicPartition, Partition> partitions = new HashMap<>();

  /** Adds a polled record, in offset order within its partition. */
  void add(TopicPartition tp, Item<?, ?> item) {
    Partition p =
        partitions.computeIfAbsent(
            tp,
            k -> {
              Partition n = new Partition();
              n.committed = item.offset();
              return n;
            });
    p.items.addLast(item);
    p.end = item.offset() + 1;
  }

  /** Drops the records done and counts those held unfinished. */
  int held() {
    int n = 0;
    for (Partition p : partitions.values()) {
      n += p.compact();
    }
    return n;
  }

  /** Whether some partition's watermark is past what was last taken. */
  boolean advanced() {
    for (Partition p : partitions.values()) {
      if (p.watermark() > p.committed) {
        return true;
      }
    }
    return false;
  }

  /** The watermarks of {@code only} (all partitions when null) that moved since the last take. */
  Map<TopicPartition, Long> take(Collection<TopicPartition> only) {
    Map<TopicPartition, Long> moved = new HashMap<>();
    partitions.forEach(
        (tp, p) -> {
          if (only != null && !only.contains(tp)) {
            return;
          }
          long next = p.watermark();
          if (next > p.committed) {
            moved.put(tp, next);
            p.committed = next;
          }
        });
    return moved;
  }

  /** Records polled from {@code tp} and not yet committed past: the end minus the watermark. */
  long lag(TopicPartition tp) {
    Partition p = partitions.get(tp);
    return p == null ? 0 : p.end - p.watermark();
  }

  Set<TopicPartition> partitions() {
    return partitions.keySet();
  }

  /** Revoked or lost partitions: nothing of theirs is committed from here on. */
  void forget(Collection<TopicPartition> tps) {
    tps.forEach(partitions::remove);
  }

  boolean isEmpty() {
    return partitions.isEmpty();
  }
}
