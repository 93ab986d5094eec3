package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.FakeClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A gap timed on the database's clock must not be compared with the relay's clock when the relay
 * loses sight of other sessions' transactions (here: its session switches to a role without
 * pg_read_all_stats). The relay's clock runs an hour ahead of the database's, as a skewed host or a
 * test clock would: compared across clocks, the gap would look an hour old and be given up at once,
 * though its transaction may still be open.
 */
class PostgreSqlGapClockTest {
  private HikariDataSource dataSource;
  private final String unique = ProcessHandle.current().pid() + "_" + System.nanoTime();
  private final String table = "outbox_clock_" + unique;
  private final String role = "exactly_limited_" + unique;

  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @BeforeEach
  void setUp() throws SQLException {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(ExternalService.POSTGRESQL.url());
    config.setMaximumPoolSize(4);
    dataSource = new HikariDataSource(config);
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      Outbox.builder().table(table).build().createTableIfAbsent(c);
      s.execute("CREATE ROLE " + role + " NOLOGIN");
      s.execute("GRANT SELECT ON " + table + " TO " + role);
    }
  }

  @AfterEach
  void tearDown() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE " + table);
      s.execute("DROP ROLE " + role);
    }
    dataSource.close();
  }

  private void insertWithId(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO "
                + table
                + " (id, topic, msg_key, msg_value, headers, created_at) VALUES (?, 't', NULL,"
                + " NULL, NULL, 0)")) {
      ps.setLong(1, id);
      ps.executeUpdate();
    }
  }

  @Test
  void aGapTimedOnTheDatabasesClockIsTimedAgainWhenTheRelayFallsBackToItsOwn() throws Exception {
    FakeClock relayClock = new FakeClock(Instant.now().plus(Duration.ofHours(1)));
    try (Connection reading = dataSource.getConnection();
        Connection otherSession = dataSource.getConnection();
        Statement s = reading.createStatement()) {
      // Another session of another role: hidden from the limited role, so it cannot tell.
      otherSession.isValid(1);
      insertWithId(reading, 1);
      insertWithId(reading, 3);
      OutboxReader reader =
          new OutboxReader(
              new OutboxTable(table),
              Dialect.of(reading),
              100,
              Duration.ofMinutes(5),
              Duration.ofHours(1),
              relayClock);
      RelayPosition seen = reader.next(reading, RelayPosition.START).next();
      assertThat(seen.gaps()).containsOnlyKeys(2L);
      // Times the gap, on the database's clock: the session sees every other session.
      RelayPosition timed = reader.next(reading, seen).next();
      assertThat(timed.gaps().get(2L)).isPositive();
      s.execute("SET ROLE " + role);
      try {
        RelayPosition afterSwitch = reader.next(reading, timed).next();
        assertThat(afterSwitch.gaps())
            .as("the gap, an hour old only across two clocks, is still awaited")
            .containsKey(2L);
      } finally {
        s.execute("RESET ROLE");
      }
    }
  }
}
