package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ComponentState;
import dev.exactly.testkit.KafkaClusterExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The topics the relay creates are replicated 3 times with {@code min.insync.replicas} 2 on a
 * cluster of three brokers, even where the brokers' defaults (here 1 and 1) would make them single
 * copies.
 */
class RelayTopicReplicationTest {
  @RegisterExtension
  static final KafkaClusterExtension CLUSTER =
      KafkaClusterExtension.of(
          b ->
              b.brokers(3)
                  .brokerProperty("default.replication.factor", "1")
                  .brokerProperty("min.insync.replicas", "1"));

  @Test
  void thePositionAndDeadLetterTopicsAreReplicatedThreeTimesWithMinInSyncTwo() throws Exception {
    String unique = ProcessHandle.current().pid() + "_" + System.nanoTime();
    String positions = "positions-" + unique;
    String dlt = "dlt-" + unique;
    String bootstrap = CLUSTER.cluster().bootstrapServers();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:replication" + unique + ";DB_CLOSE_DELAY=-1");
    try (HikariDataSource dataSource = new HikariDataSource(config);
        OutboxRelay relay =
            OutboxRelay.builder()
                // The test's dead-letter topics are created at start.
                .createTopics(true)
                .dataSource(dataSource)
                .kafkaProperties(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))
                .table("outbox_replication_" + unique)
                .positionTopic(positions)
                .deadLetterTopic(dlt)
                .build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      relay.start();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  relay.state() == ComponentState.RUNNING
                      && admin.listTopics().names().get().containsAll(List.of(positions, dlt)));
      for (String topic : List.of(positions, dlt)) {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        assertThat(d.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
        assertThat(c.get("min.insync.replicas").value()).as(topic).isEqualTo("2");
      }
    }
  }
}
