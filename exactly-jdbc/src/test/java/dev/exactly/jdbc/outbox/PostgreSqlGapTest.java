package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.TopicReader;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Gaps on PostgreSQL, where the relay sees other sessions' transactions: a prepared (two-phase)
 * transaction keeps its gap open until it is committed, and a jump of many ids is not held up for
 * longer than the gap timeout by an unrelated old transaction.
 */
class PostgreSqlGapTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private HikariDataSource dataSource;
  private final String unique = ProcessHandle.current().pid() + "_" + System.nanoTime();
  private final String table = "outbox_pg_gaps_" + unique;
  private final String topic = "pg-gaps-" + unique;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private Outbox outbox;

  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @BeforeEach
  void setUp() throws SQLException {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(ExternalService.POSTGRESQL.url());
    config.setMaximumPoolSize(6);
    dataSource = new HikariDataSource(config);
    KAFKA.broker().createTopic(topic, 1);
    outbox = Outbox.builder().table(table).build();
    try (Connection c = dataSource.getConnection()) {
      outbox.createTableIfAbsent(c);
    }
  }

  @AfterEach
  void tearDown() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE " + table);
    }
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

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Skips (or fails where services are required) when the server cannot prepare transactions. */
  private void assumePreparedTransactions() throws SQLException {
    int max;
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW max_prepared_transactions")) {
      rs.next();
      max = Integer.parseInt(rs.getString(1));
    }
    if (max > 0) {
      return;
    }
    String message =
        "PostgreSQL at "
            + ExternalService.POSTGRESQL.url()
            + " has max_prepared_transactions=0, so it cannot PREPARE TRANSACTION; set it to 10"
            + " (ALTER SYSTEM SET max_prepared_transactions = 10, then restart the server)";
    if (Boolean.parseBoolean(System.getenv(ExternalService.REQUIRE_VARIABLE))) {
      fail(message);
    }
    assumeTrue(false, message);
  }

  /**
   * A transaction prepared after the relay first saw its gap must keep that gap open: timed from
   * its PREPARE, it looked younger than the gap, the gap was given up, and COMMIT PREPARED then
   * made a row visible that was never published (and later deleted by cleanup).
   */
  @Test
  void aRowOfAPreparedTransactionIsPublishedWhenItCommits() throws Exception {
    assumePreparedTransactions();
    String gid = "exactly-outbox-test-" + unique;
    try (OutboxRelay relay = relay().gapTimeout(Duration.ofMillis(200)).build();
        Connection twoPhase = dataSource.getConnection()) {
      relay.start();
      twoPhase.setAutoCommit(false);
      // PostgreSQL refuses to PREPARE a transaction that ran NOTIFY: a two-phase writer turns
      // the wake-up off.
      Outbox.builder()
          .table(table)
          .notifyRelay(false)
          .build()
          .write(twoPhase, topic, null, bytes("two-phase"));
      try (Connection c = dataSource.getConnection()) {
        outbox.write(c, topic, null, bytes("later-id"));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> published().size() == 1);
      try (Statement s = twoPhase.createStatement()) {
        s.execute("PREPARE TRANSACTION '" + gid + "'");
      }
      twoPhase.setAutoCommit(true);
      // Give the relay polls enough to give the gap up if it takes the PREPARE for the start.
      await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> true);
      try (Statement s = twoPhase.createStatement()) {
        s.execute("COMMIT PREPARED '" + gid + "'");
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(published()).containsExactly("later-id", "two-phase"));
      assertThat(counter("exactly.outbox.gaps.abandoned")).isZero();
    } finally {
      try (Connection c = dataSource.getConnection();
          PreparedStatement ps =
              c.prepareStatement("SELECT 1 FROM pg_prepared_xacts WHERE gid = ?")) {
        ps.setString(1, gid);
        try (ResultSet rs = ps.executeQuery();
            Statement s = c.createStatement()) {
          if (rs.next()) {
            s.execute("ROLLBACK PREPARED '" + gid + "'");
          }
        }
      }
    }
  }

  /**
   * A jump of more than 10,000 ids, while an unrelated transaction (one that never touches the
   * outbox) stays open: the rows above the jump are published after the gap timeout, not held up
   * for as long as that transaction lasts.
   */
  @Test
  void aJumpIsNotHeldUpLongerThanTheGapTimeoutByAnUnrelatedOpenTransaction() throws Exception {
    try (OutboxRelay relay = relay().gapTimeout(Duration.ofSeconds(2)).build();
        Connection unrelated = dataSource.getConnection()) {
      unrelated.setAutoCommit(false);
      try (Statement s = unrelated.createStatement()) {
        s.execute("SELECT txid_current()");
      }
      long first;
      try (Connection c = dataSource.getConnection()) {
        first = outbox.write(c, topic, null, bytes("before-jump"));
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO "
                    + table
                    + " (id, topic, msg_key, msg_value, headers, created_at)"
                    + " VALUES (?, ?, NULL, ?, NULL, ?)")) {
          ps.setLong(1, first + OutboxReader.MAX_GAP_RUN + 100);
          ps.setString(2, topic);
          ps.setBytes(3, bytes("beyond-jump"));
          ps.setLong(4, System.currentTimeMillis());
          ps.executeUpdate();
        }
      }
      relay.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> assertThat(published()).containsExactly("before-jump", "beyond-jump"));
      unrelated.rollback();
    }
  }
}
