package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ComponentState;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.KafkaCluster;
import dev.exactly.testkit.KafkaClusterExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.CheckReport;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A relay publishing to a 3-broker cluster (replication 3, min ISR 2) while brokers are SIGKILLed
 * and restarted under it: the leader of the position topic, then the leader of a data partition.
 * Every committed row appears exactly once, in order per key. Rows: {@code
 * -Dexactly.outbox.crash.rows} (default 4,000).
 */
class OutboxRelayBrokerCrashTest {
  @RegisterExtension static final KafkaClusterExtension CLUSTER = KafkaClusterExtension.brokers(3);

  private static final int ROWS = Integer.getInteger("exactly.outbox.crash.rows", 4_000);

  private HikariDataSource dataSource;
  private String table;

  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @BeforeEach
  void setUp() {
    table = "outbox_broker_crash_" + ProcessHandle.current().pid();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(ExternalService.POSTGRESQL.url());
    config.setMaximumPoolSize(8);
    dataSource = new HikariDataSource(config);
  }

  @AfterEach
  void tearDown() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
    }
    dataSource.close();
  }

  @Test
  void everyCommittedRowIsPublishedExactlyOnceWhileBrokersDie() throws Exception {
    KafkaCluster cluster = CLUSTER.cluster();
    String bootstrap = cluster.bootstrapServers();
    String topic = "broker-crash-" + table;
    String positions = "positions-" + table;
    cluster.createTopic(topic, 3);
    Outbox outbox = Outbox.builder().table(table).build();
    try (Connection c = dataSource.getConnection()) {
      outbox.createTableIfAbsent(c);
    }
    OutboxWriters writers = new OutboxWriters();
    try (OutboxRelay relay =
        OutboxRelay.builder()
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .dataSource(dataSource)
            .kafkaProperties(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))
            .table(table)
            .positionTopic(positions)
            .batchSize(200)
            .maxIdle(Duration.ofMillis(20))
            .build()) {
      relay.start();
      CompletableFuture<Void> writing =
          CompletableFuture.runAsync(
              () -> {
                try {
                  writers.run(dataSource, outbox, topic, 4, ROWS, 40);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      await()
          .atMost(Duration.ofSeconds(120))
          .until(() -> TopicReader.readCommitted(bootstrap, topic).size() > 100);
      // The faults below must hit live traffic, not an idle relay.
      assertThat(writing).isNotDone();
      int positionLeader = cluster.leader(new TopicPartition(positions, 0));
      cluster.kill(positionLeader);
      Thread.sleep(3000);
      cluster.restart(positionLeader);
      cluster.awaitHealthy(Duration.ofSeconds(120));
      int dataLeader = cluster.leader(new TopicPartition(topic, 1));
      cluster.kill(dataLeader);
      Thread.sleep(3000);
      cluster.restart(dataLeader);
      cluster.awaitHealthy(Duration.ofSeconds(120));
      writing.get();
      await()
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> TopicReader.readCommitted(bootstrap, topic).size() >= writers.committed.size());
      Thread.sleep(1000);
      // Dying brokers are transient: no reason to stop as fenced or failed.
      assertThat(relay.failure()).isEmpty();
      assertThat(relay.state()).isNotIn(ComponentState.FENCED, ComponentState.FAILED);
    }
    CheckReport report =
        new ExactlyOnceChecker(writers.committed).check(new OutboxTopicEffects(bootstrap, topic));
    System.out.println(report.summary());
    report.assertExactlyOnce();
    assertThat(writers.rolledBack).isNotEmpty();
  }
}
