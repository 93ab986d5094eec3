package dev.exactly;

import dev.exactly.internal.DurableTopics;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the topics a pipeline needs before its components start, durable whatever the broker's
 * defaults: replication 3 with {@code min.insync.replicas} 2 on a cluster of three or more brokers,
 * else the cluster size and 1, the same rule Exactly uses for the topics it creates itself. A topic
 * that exists is left as it is.
 *
 * <pre>{@code
 * Topics.createIfAbsent(kafkaProperties, 6, "orders", "orders.dlt", "orders-accepted");
 * }</pre>
 */
public final class Topics {
  private Topics() {}

  /**
   * Creates each of {@code topics} with {@code partitions} partitions unless it exists.
   *
   * @param kafkaProperties the cluster's client properties ({@code bootstrap.servers}, SSL/SASL),
   *     passed to an admin client as they are
   * @return the topics this call created, in the order given
   * @throws IllegalStateException naming the topic when the cluster refuses or does not answer
   *     within the admin client's {@code default.api.timeout.ms}
   */
  public static Set<String> createIfAbsent(
      Map<String, ?> kafkaProperties, int partitions, String... topics) {
    Map<String, Integer> wanted = new LinkedHashMap<>();
    for (String topic : topics) {
      wanted.put(Objects.requireNonNull(topic, "topic"), partitions);
    }
    return createIfAbsent(kafkaProperties, wanted);
  }

  /** Like {@link #createIfAbsent(Map, int, String...)}, with partitions per topic. */
  public static Set<String> createIfAbsent(
      Map<String, ?> kafkaProperties, Map<String, Integer> partitionsByTopic) {
    Objects.requireNonNull(kafkaProperties, "kafkaProperties");
    partitionsByTopic.forEach(
        (topic, partitions) -> {
          if (partitions < 1) {
            throw new IllegalArgumentException(
                "topic " + topic + ": partitions must be at least 1, got " + partitions);
          }
        });
    Set<String> created = new LinkedHashSet<>();
    Map<String, Object> props = new LinkedHashMap<>(kafkaProperties);
    try (Admin admin = Admin.create(props)) {
      for (Map.Entry<String, Integer> e : partitionsByTopic.entrySet()) {
        try {
          DurableTopics.create(admin, e.getKey(), Optional.of(e.getValue()), Map.of());
          created.add(e.getKey());
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException(
                "cannot create topic " + e.getKey() + ": " + ex.getCause(), ex.getCause());
          }
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted creating topic " + e.getKey(), ex);
        }
      }
    }
    return Collections.unmodifiableSet(created);
  }
}
