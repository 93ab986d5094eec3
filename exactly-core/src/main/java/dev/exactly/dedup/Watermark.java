package dev.exactly.dedup;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * A batch's per-partition commit points: each partition's offset may pass only records that are
 * done, so its watermark is its lowest record not yet done (a contiguous prefix). A crash then
 * never skips an unfinished record; the done records after it are polled again and found done.
 * Engine thread only (the items' {@code settled} flags are volatile).
 */
final class Watermark {
  private final Map<TopicPartition, List<? extends Item<?, ?>>> partitions;
  private final Map<TopicPartition, Long> committed = new HashMap<>();

  Watermark(Map<TopicPartition, ? extends List<? extends Item<?, ?>>> partitions) {
    this.partitions = new HashMap<>(partitions);
    partitions.forEach((tp, items) -> committed.put(tp, items.get(0).offset()));
  }

  /** Whether some partition's watermark is past what was last taken. */
  boolean advanced() {
    for (Map.Entry<TopicPartition, List<? extends Item<?, ?>>> e : partitions.entrySet()) {
      if (next(e.getValue()) > committed.get(e.getKey())) {
        return true;
      }
    }
    return false;
  }

  /** The watermarks that moved since the last take, to commit. */
  Map<TopicPartition, Long> take() {
    Map<TopicPartition, Long> moved = new HashMap<>();
    partitions.forEach(
        (tp, items) -> {
          long next = next(items);
          if (next > committed.get(tp)) {
            moved.put(tp, next);
            committed.put(tp, next);
          }
        });
    return moved;
  }

  /** Each partition with a record not done, and the offset to poll it again from. */
  Map<TopicPartition, Long> unfinished() {
    Map<TopicPartition, Long> from = new HashMap<>();
    partitions.forEach(
        (tp, items) -> {
          long next = next(items);
          if (next <= items.get(items.size() - 1).offset()) {
            from.put(tp, next);
          }
        });
    return from;
  }

  private static long next(List<? extends Item<?, ?>> items) {
    for (Item<?, ?> item : items) {
      if (!item.done()) {
        return item.offset();
      }
    }
    return items.get(items.size() - 1).offset() + 1;
  }
}
