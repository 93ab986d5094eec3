package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.testkit.ExternalService;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A write before the outbox table exists names the two ways to create it, instead of the database's
 * bare "relation does not exist"; the SQLState stays the database's.
 */
class OutboxMissingTableTest {

  static Stream<Arguments> databases() {
    return Stream.of(
        Arguments.of("h2", "jdbc:h2:mem:outbox_missing;DB_CLOSE_DELAY=-1", null),
        Arguments.of("postgresql", ExternalService.POSTGRESQL.url(), ExternalService.POSTGRESQL),
        Arguments.of("mariadb", ExternalService.MARIADB.url(), ExternalService.MARIADB));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aWriteBeforeTheTableExistsNamesTheFix(String db, String url, ExternalService server)
      throws SQLException {
    if (server != null) {
      server.assumeAvailable();
    }
    Outbox outbox = Outbox.builder().table("no_such_outbox_" + db).build();
    try (Connection c = DriverManager.getConnection(url)) {
      c.setAutoCommit(false);
      byte[] value = "v".getBytes(StandardCharsets.UTF_8);
      assertThatThrownBy(() -> outbox.write(c, "orders", null, value))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("outbox table no_such_outbox_" + db + " does not exist")
          .hasMessageContaining("Outbox.createTableIfAbsent(connection)")
          .hasMessageContaining("db/exactly/outbox-" + db + ".sql")
          .satisfies(
              e ->
                  assertThat(((SQLException) e).getSQLState())
                      .isEqualTo(((SQLException) e.getCause()).getSQLState()));
      c.rollback();
    }
  }
}
