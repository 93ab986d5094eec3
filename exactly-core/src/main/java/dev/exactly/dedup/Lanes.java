package dev.exactly.dedup;

import dev.exactly.Ordering;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Cuts a poll's items into lanes that may run at once: by the {@link Ordering} (a Kafka key's
 * records share a lane under {@code KEY}, a partition's under {@code PARTITION}), and always one
 * dedup key's records in one lane, since the first of them holds the key's claim for the rest. Each
 * lane keeps poll (so, per partition, offset) order.
 */
final class Lanes {
  private Lanes() {}

  static <K, V> List<List<Item<K, V>>> cut(
      Map<TopicPartition, List<Item<K, V>>> partitions, Ordering ordering) {
    List<Item<K, V>> all = new ArrayList<>();
    partitions.values().forEach(all::addAll);
    int[] parent = new int[all.size()];
    Map<Object, Integer> byLane = new HashMap<>();
    Map<String, Integer> byDedupKey = new HashMap<>();
    for (int i = 0; i < all.size(); i++) {
      parent[i] = i;
      Item<K, V> item = all.get(i);
      union(parent, i, byLane.computeIfAbsent(laneOf(item, ordering, i), k -> -1));
      byLane.put(laneOf(item, ordering, i), find(parent, i));
      if (item.dedupKey != null) {
        union(parent, i, byDedupKey.getOrDefault(item.dedupKey, -1));
        byDedupKey.put(item.dedupKey, find(parent, i));
      }
    }
    Map<Integer, List<Item<K, V>>> lanes = new LinkedHashMap<>();
    for (int i = 0; i < all.size(); i++) {
      lanes.computeIfAbsent(find(parent, i), r -> new ArrayList<>()).add(all.get(i));
    }
    return new ArrayList<>(lanes.values());
  }

  private static Object laneOf(Item<?, ?> item, Ordering ordering, int index) {
    TopicPartition tp = new TopicPartition(item.raw.topic(), item.raw.partition());
    return switch (ordering) {
      case UNORDERED -> index;
      case PARTITION -> tp;
      // Records without a key have no key order to keep: they keep their partition's.
      case KEY -> item.raw.key() == null ? tp : Map.entry(tp, ByteBuffer.wrap(item.raw.key()));
    };
  }

  private static void union(int[] parent, int i, int j) {
    if (j < 0) {
      return;
    }
    int a = find(parent, i);
    int b = find(parent, j);
    // The smaller root wins, so a lane is named by its first item.
    parent[Math.max(a, b)] = Math.min(a, b);
  }

  private static int find(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }
}
