package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ComponentState;
import dev.exactly.DeadLetterHeaders;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.KafkaClusterExtension;
import dev.exactly.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A row for a topic that does not exist, on a cluster that does not create topics on first use:
 * after {@code missingTopicTimeout} it goes to the dead-letter topic and the rows around it are
 * published, instead of every batch holding it failing forever.
 */
class MissingTopicTest {
  @RegisterExtension
  static final KafkaClusterExtension CLUSTER =
      KafkaClusterExtension.of(
          b -> b.brokers(1).brokerProperty("auto.create.topics.enable", "false"));

  private HikariDataSource dataSource;
  private final String unique = ProcessHandle.current().pid() + "_" + System.nanoTime();
  private final String table = "outbox_missing_" + unique;
  private final String topic = "good-" + unique;
  private final String dlt = "dlt-" + unique;

  @BeforeEach
  void setUp() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:missing" + unique + ";DB_CLOSE_DELAY=-1");
    dataSource = new HikariDataSource(config);
    CLUSTER.cluster().createTopic(topic, 1);
  }

  @AfterEach
  void tearDown() {
    dataSource.close();
  }

  private long write(Outbox outbox, String to, String value) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      long id = outbox.write(c, to, null, value.getBytes(StandardCharsets.UTF_8));
      c.commit();
      return id;
    }
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void aRowForAMissingTopicIsDeadLetteredAfterTheWaitAndTheOthersArePublished() throws Exception {
    Outbox outbox = Outbox.builder().table(table).build();
    try (Connection c = dataSource.getConnection()) {
      outbox.createTableIfAbsent(c);
    }
    write(outbox, topic, "good-0");
    long missing = write(outbox, "no-such-topic-" + unique, "lost?");
    write(outbox, topic, "good-1");
    write(outbox, topic, "good-2");
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    String bootstrap = CLUSTER.cluster().bootstrapServers();
    try (OutboxRelay relay =
        OutboxRelay.builder()
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .dataSource(dataSource)
            .kafkaProperties(
                Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrap,
                    // Bounds the producer's wait for the missing topic's metadata.
                    ProducerConfig.MAX_BLOCK_MS_CONFIG,
                    5_000))
            .table(table)
            .positionTopic("positions-" + unique)
            .deadLetterTopic(dlt)
            // missingTopicTimeout: the default, 2 minutes of the fake clock
            .ticker(clock)
            .build()) {
      relay.start();
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(
              () -> {
                clock.advance(Duration.ofSeconds(10));
                assertThat(TopicReader.readCommitted(bootstrap, topic))
                    .extracting(r -> text(r.value()))
                    .containsExactly("good-0", "good-1", "good-2");
              });
      List<ConsumerRecord<byte[], byte[]>> dead = TopicReader.readCommitted(bootstrap, dlt);
      assertThat(dead).hasSize(1);
      assertThat(text(dead.get(0).headers().lastHeader(Outbox.ID_HEADER).value()))
          .isEqualTo(Long.toString(missing));
      assertThat(text(dead.get(0).headers().lastHeader(DeadLetterHeaders.REASON).value()))
          .isEqualTo("refused-by-kafka");
      assertThat(
              text(dead.get(0).headers().lastHeader(DeadLetterHeaders.DESTINATION_TOPIC).value()))
          .isEqualTo("no-such-topic-" + unique);
      assertThat(relay.state()).isEqualTo(ComponentState.RUNNING);
    }
  }
}
