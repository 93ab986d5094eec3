package dev.exactly.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Creates the topics Exactly creates (dead-letter topics, the relay's position topic) durable
 * whatever the broker defaults: replication 3 and {@code min.insync.replicas} 2 on a cluster of
 * three or more brokers, else replication the cluster size and {@code min.insync.replicas} 1. A
 * broker's default replication is often 1, and one lost disk would then lose what the topic holds.
 */
public final class DurableTopics {
  private DurableTopics() {}

  /**
   * Creates {@code topic}; bounded by the admin client's {@code default.api.timeout.ms}.
   *
   * @param partitions empty for the broker's default
   * @throws ExecutionException as {@code createTopics} fails, {@code TopicExistsException} included
   */
  public static void create(
      Admin admin, String topic, Optional<Integer> partitions, Map<String, String> configs)
      throws ExecutionException, InterruptedException {
    int brokers = admin.describeCluster().nodes().get().size();
    short replication = (short) Math.min(3, Math.max(1, brokers));
    Map<String, String> all = new HashMap<>(configs);
    all.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, replication >= 3 ? "2" : "1");
    admin
        .createTopics(
            List.of(new NewTopic(topic, partitions, Optional.of(replication)).configs(all)))
        .all()
        .get();
  }
}
