package dev.exactly.jdbc.sink;

import dev.exactly.jdbc.sink.OffsetTable.Position;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What this instance believes about its partitions, on the engine thread only (the rebalance
 * listener runs inside {@code poll} there too), so nothing here needs a lock.
 */
final class Ownership {
  /** Partitions this instance owns, with the epoch it claimed and the offset it last committed. */
  final Map<TopicPartition, Position> owned = new HashMap<>();

  /**
   * Partitions Kafka assigned here that the database does not show as ours (a claim failed, or a
   * commit was fenced): paused, and claimed again from the poll loop.
   */
  final Set<TopicPartition> unclaimed = new HashSet<>();

  /**
   * Partitions claimed whose committed dead letters an earlier owner may have left unpublished:
   * published from the poll loop, not inside the rebalance listener.
   */
  final Set<TopicPartition> unpublished = new HashSet<>();

  /** Partitions whose remaining records of the current poll must be dropped (lost, rewound). */
  final Set<TopicPartition> skip = new HashSet<>();

  /** Offsets committed to the database and not yet mirrored to Kafka. */
  final Map<TopicPartition, OffsetAndMetadata> unmirrored = new HashMap<>();

  /** Whether records of {@code tp} from the current poll may still be written. */
  boolean isLive(TopicPartition tp) {
    return !skip.contains(tp) && owned.containsKey(tp);
  }

  /** The records of {@code items} whose partitions are still live, in order. */
  <K, V> List<PolledRecord<K, V>> live(List<PolledRecord<K, V>> items) {
    List<PolledRecord<K, V>> out = new ArrayList<>(items.size());
    for (PolledRecord<K, V> i : items) {
      if (isLive(i.tp())) {
        out.add(i);
      }
    }
    return out;
  }

  /** The database committed up to {@code next} (exclusive) under the epochs we hold. */
  void committed(Map<TopicPartition, Long> next) {
    next.forEach(
        (tp, offset) -> {
          owned.put(tp, new Position(offset, owned.get(tp).epoch()));
          unmirrored.put(tp, new OffsetAndMetadata(offset));
        });
  }

  /** Kafka took {@code partitions} away: drop everything known about them. */
  void forget(Collection<TopicPartition> partitions) {
    owned.keySet().removeAll(partitions);
    unclaimed.removeAll(partitions);
    unpublished.removeAll(partitions);
    unmirrored.keySet().removeAll(partitions);
    skip.addAll(partitions);
  }
}
