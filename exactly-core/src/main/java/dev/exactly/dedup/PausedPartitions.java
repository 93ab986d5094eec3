package dev.exactly.dedup;

import dev.exactly.Ticker;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Partitions paused because their next record's key is in flight at another instance, each until
 * that lease ends: the rest of the assignment keeps flowing meanwhile. Engine thread only.
 */
final class PausedPartitions {
  private final Ticker ticker;

  /** When to look again, in epoch milliseconds of the ticker (the stores' lease time). */
  private final Map<TopicPartition, Long> until = new HashMap<>();

  PausedPartitions(Ticker ticker) {
    this.ticker = ticker;
  }

  /** Wall-clock now, comparable with a store's lease expiry. */
  long nowMillis() {
    return ticker.millis();
  }

  void pause(Consumer<?, ?> consumer, TopicPartition tp, long untilMillis) {
    until.put(tp, untilMillis);
    consumer.pause(List.of(tp));
  }

  /** Resumes the partitions whose wait is over and that this consumer still owns. */
  void resumeDue(Consumer<?, ?> consumer) {
    if (until.isEmpty()) {
      return;
    }
    long now = ticker.millis();
    List<TopicPartition> due = new ArrayList<>();
    until.forEach(
        (tp, at) -> {
          if (at <= now) {
            due.add(tp);
          }
        });
    due.forEach(until::remove);
    due.retainAll(consumer.assignment());
    if (!due.isEmpty()) {
      consumer.resume(due);
    }
  }

  /** Revoked or lost partitions: their next owner starts unpaused. */
  void forget(Collection<TopicPartition> partitions) {
    partitions.forEach(until::remove);
  }
}
