package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two relay names share one position topic: a transaction another relay left open on that topic
 * must never make this relay restart from an older position and publish rows again.
 */
class SharedPositionTopicTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private HikariDataSource dataSource;
  private final String unique = ProcessHandle.current().pid() + "_" + System.nanoTime();
  private final String table = "outbox_shared_" + unique;
  private final String topic = "shared-out-" + unique;
  private final String positions = "shared-positions-" + unique;

  @BeforeEach
  void setUp() throws SQLException {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:shared" + unique + ";DB_CLOSE_DELAY=-1");
    dataSource = new HikariDataSource(config);
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(positions, 1, Map.of("cleanup.policy", "compact"));
  }

  @AfterEach
  void tearDown() {
    dataSource.close();
  }

  private OutboxRelay relayB() {
    return OutboxRelay.builder()
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .dataSource(dataSource)
        .kafkaProperties(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()))
        .table(table)
        .name("relay-b-" + unique)
        .positionTopic(positions)
        .deadLetterTopic("dlt-" + table)
        .maxIdle(Duration.ofMillis(20))
        .build();
  }

  private String bootstrap() {
    return KAFKA.broker().bootstrapServers();
  }

  private void write(Outbox outbox, String value) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      outbox.write(c, topic, null, value.getBytes(StandardCharsets.UTF_8));
      c.commit();
    }
  }

  private List<String> published() {
    return TopicReader.readCommitted(bootstrap(), topic).stream()
        .map(r -> new String(r.value(), StandardCharsets.UTF_8))
        .toList();
  }

  @Test
  void anotherRelaysOpenTransactionOnThePositionTopicDoesNotMakeThisRelayPublishAgain()
      throws Exception {
    Outbox outbox = Outbox.builder().table(table).build();
    try (Connection c = dataSource.getConnection()) {
      outbox.createTableIfAbsent(c);
    }
    write(outbox, "row-0");
    try (KafkaProducer<byte[], byte[]> relayA =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "hung-relay-a-" + unique,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                600_000,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class))) {
      try (OutboxRelay b = relayB()) {
        b.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> published().size() == 1);
        // Relay A (hung, or killed before its commit): a transaction on the position topic,
        // open.
        relayA.initTransactions();
        relayA.beginTransaction();
        relayA
            .send(
                new ProducerRecord<>(
                    positions, 0, "relay-a".getBytes(StandardCharsets.UTF_8), new byte[] {1}))
            .get();
        // B publishes two more rows: their positions land after A's open transaction.
        write(outbox, "row-1");
        write(outbox, "row-2");
        await().atMost(Duration.ofSeconds(60)).until(() -> published().size() == 3);
      }

      // B restarts while A's transaction is still open: it must not publish rows 1 and 2 again.
      write(outbox, "row-3");
      try (OutboxRelay again = relayB()) {
        again.start();
        await()
            .during(Duration.ofSeconds(5))
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(published()).hasSizeLessThanOrEqualTo(4));
        // A's transaction ends (aborted, as the coordinator would on its timeout): B goes on
        // from its own last position.
        relayA.abortTransaction();
        await().atMost(Duration.ofSeconds(60)).until(() -> published().size() >= 4);
        await().during(Duration.ofSeconds(2)).until(() -> published().size() == 4);
        assertThat(published()).containsExactly("row-0", "row-1", "row-2", "row-3");
      }
    }
  }
}
