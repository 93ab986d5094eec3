package dev.exactly.testkit.check;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Once the writers of a topic have stopped or finished, every partition's last stable offset (the
 * end a {@code read_committed} reader sees) must reach its end offset: a partition where it does
 * not has a hanging transaction that blocks every {@code read_committed} consumer.
 */
public final class HangingTransactionCheck {
  private HangingTransactionCheck() {}

  /**
   * Waits until the last stable offset equals the end offset on every partition of {@code topic}.
   *
   * @return the partitions still blocked at the timeout, as {@code topic-p LSO x < end y}; empty
   *     when no transaction hangs
   */
  public static List<String> awaitStable(String bootstrapServers, String topic, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    try (KafkaConsumer<byte[], byte[]> committed =
            consumer(bootstrapServers, IsolationLevel.READ_COMMITTED);
        KafkaConsumer<byte[], byte[]> uncommitted =
            consumer(bootstrapServers, IsolationLevel.READ_UNCOMMITTED)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : committed.partitionsFor(topic, Duration.ofSeconds(60))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      while (true) {
        Map<TopicPartition, Long> stable = committed.endOffsets(partitions, Duration.ofSeconds(30));
        Map<TopicPartition, Long> end = uncommitted.endOffsets(partitions, Duration.ofSeconds(30));
        Map<String, String> blocked = new TreeMap<>();
        for (TopicPartition tp : partitions) {
          if (stable.get(tp) < end.get(tp)) {
            blocked.put(tp.toString(), tp + " LSO " + stable.get(tp) + " < end " + end.get(tp));
          }
        }
        if (blocked.isEmpty() || Instant.now().isAfter(deadline)) {
          return List.copyOf(blocked.values());
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return List.copyOf(blocked.values());
        }
      }
    }
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, IsolationLevel level) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            level.toString().toLowerCase(Locale.ROOT),
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            ByteArrayDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ByteArrayDeserializer.class));
  }
}
