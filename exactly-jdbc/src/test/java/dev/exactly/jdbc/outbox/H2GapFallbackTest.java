package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ComponentState;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.TopicReader;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The relay's gap bookkeeping where the database cannot show other sessions' transactions (H2): the
 * position stays bounded however many ids are missing, and a row that appears after its gap was
 * given up is published late, never skipped.
 */
class H2GapFallbackTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private HikariDataSource dataSource;
  private final String unique = ProcessHandle.current().pid() + "_" + System.nanoTime();
  private final String table = "outbox_gaps_" + unique;
  private final String topic = "gaps-" + unique;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private Outbox outbox;

  @BeforeEach
  void setUp() throws SQLException {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:gaps" + unique + ";DB_CLOSE_DELAY=-1");
    dataSource = new HikariDataSource(config);
    KAFKA.broker().createTopic(topic, 1);
    outbox = Outbox.builder().table(table).build();
    try (Connection c = dataSource.getConnection()) {
      outbox.createTableIfAbsent(c);
    }
  }

  @AfterEach
  void tearDown() {
    dataSource.close();
  }

  private OutboxRelay.Builder relay() {
    return OutboxRelay.builder()
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .dataSource(dataSource)
        .kafkaProperties(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers()))
        .table(table)
        .instanceId("i1")
        .positionTopic("positions-" + unique)
        .deadLetterTopic("dlt-" + unique)
        .meterRegistry(meters)
        .maxIdle(Duration.ofMillis(20));
  }

  private double counter(String name) {
    return meters
        .counter(name, Tags.of("component", "outbox-relay", "group", table, "instance", "i1"))
        .count();
  }

  private List<String> published() {
    return TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic).stream()
        .map(r -> new String(r.value(), StandardCharsets.UTF_8))
        .toList();
  }

  private void insertWithId(Connection c, long id, String value) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO "
                + table
                + " (id, topic, msg_key, msg_value, headers, created_at)"
                + " VALUES (?, ?, NULL, ?, NULL, ?)")) {
      ps.setLong(1, id);
      ps.setString(2, topic);
      ps.setBytes(3, value.getBytes(StandardCharsets.UTF_8));
      ps.setLong(4, System.currentTimeMillis());
      ps.executeUpdate();
    }
  }

  /**
   * 80,000 ids missing at once, each under the jump limit: kept one by one, the position would be
   * 1.3 MB, more than Kafka takes in one record, and every commit would fail.
   */
  @Test
  void eightyThousandMissingIdsKeepThePositionSmallEnoughToCommit() throws Exception {
    try (Connection c = dataSource.getConnection()) {
      for (int i = 0; i <= 8; i++) {
        insertWithId(c, 1 + i * 10_000L, "row-" + i);
      }
    }
    try (OutboxRelay relay = relay().build()) {
      relay.start();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> assertThat(published()).hasSize(9));
      try (Connection c = dataSource.getConnection()) {
        insertWithId(c, 80_002, "after");
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> assertThat(published()).hasSize(10));
      assertThat(published()).startsWith("row-0").endsWith("after");
      assertThat(counter("exactly.outbox.gaps.dropped")).isGreaterThanOrEqualTo(69_992);
      assertThat(relay.state()).isEqualTo(ComponentState.RUNNING);
    }
  }

  /**
   * A writer slower than the gap timeout, where the relay cannot see it is still open: its row is
   * published when it commits, late, instead of being skipped for good.
   */
  @Test
  void aRowCommittedAfterItsGapTimedOutIsPublishedLateNotSkipped() throws Exception {
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    try (OutboxRelay relay = relay().gapTimeout(Duration.ofSeconds(1)).ticker(clock).build();
        Connection slow = dataSource.getConnection()) {
      relay.start();
      slow.setAutoCommit(false);
      outbox.write(slow, topic, null, "slow".getBytes(StandardCharsets.UTF_8));
      try (Connection c = dataSource.getConnection()) {
        outbox.write(c, topic, null, "fast".getBytes(StandardCharsets.UTF_8));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> published().size() == 1);
      // The slow writer's id is given up after the gap timeout (on the relay's clock).
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                clock.advance(Duration.ofMillis(500));
                return counter("exactly.outbox.gaps.abandoned")
                        + counter("exactly.outbox.gaps.timed.out")
                    >= 1;
              });
      slow.commit();
      // An idle relay polls again once its ticker has moved on.
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                clock.advance(Duration.ofMillis(50));
                assertThat(published()).containsExactly("fast", "slow");
              });
      assertThat(counter("exactly.outbox.gaps.timed.out")).isEqualTo(1.0);
      assertThat(counter("exactly.outbox.late.rows")).isEqualTo(1.0);
    }
  }
}
