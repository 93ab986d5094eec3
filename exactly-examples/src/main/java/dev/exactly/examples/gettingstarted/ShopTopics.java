package dev.exactly.examples.gettingstarted;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/** Every topic the shop uses, created before any component starts. */
public final class ShopTopics {
  /** Orders as the checkout wrote them; the outbox relay publishes here. */
  public static final String ORDERS = "orders";

  /** Orders the processor accepted; the shipping consumer reads here. */
  public static final String ACCEPTED = "orders-accepted";

  /** The outbox relay's position: compacted, one partition. */
  public static final String OUTBOX_POSITIONS = "shop-outbox-positions";

  /** Outbox rows Kafka refused for good. */
  public static final String OUTBOX_DLT = "shop-outbox.dlt";

  private ShopTopics() {}

  /** Creates the topics that do not exist yet; safe to run at every start. */
  public static void createAll(String bootstrapServers)
      throws ExecutionException, InterruptedException {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      // Three copies on a real cluster, one on a single development broker.
      int brokers = admin.describeCluster().nodes().get().size();
      short replication = (short) Math.min(3, brokers);
      Map<String, String> durable =
          Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, replication >= 3 ? "2" : "1");
      Map<String, String> compacted = new HashMap<>(durable);
      compacted.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
      List<NewTopic> topics =
          List.of(
              topic(ORDERS, 6, replication, durable),
              topic(ORDERS + ".dlt", 1, replication, durable), // the processor's dead letters
              topic(ACCEPTED, 6, replication, durable),
              topic(ACCEPTED + ".dlt", 1, replication, durable), // the consumer's dead letters
              topic(OUTBOX_POSITIONS, 1, replication, compacted),
              topic(OUTBOX_DLT, 1, replication, durable));
      for (KafkaFuture<Void> created : admin.createTopics(topics).values().values()) {
        try {
          created.get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
    }
  }

  private static NewTopic topic(
      String name, int partitions, short replication, Map<String, String> configs) {
    return new NewTopic(name, Optional.of(partitions), Optional.of(replication)).configs(configs);
  }
}
