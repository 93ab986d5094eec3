package dev.exactly.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The errors a database outage produces are transient in each dialect, and what tells an outage
 * from a bad record: the outage signature.
 */
class OutageErrorClassificationTest {

  @ParameterizedTest(name = "PostgreSQL {0} is {1}")
  @CsvSource({
    "25006, READ_ONLY",
    "57014, STATEMENT_CANCELLED",
    "53000, RESOURCES_EXHAUSTED",
    "53100, RESOURCES_EXHAUSTED",
    "53200, RESOURCES_EXHAUSTED",
    "53300, RESOURCES_EXHAUSTED",
    "53400, RESOURCES_EXHAUSTED",
    "25P03, CONNECTION_LOST",
    "57P05, CONNECTION_LOST",
    "57P01, CONNECTION_LOST",
    "08006, CONNECTION_LOST"
  })
  void postgresqlOutagesAreTransient(String state, SqlErrorKind kind) {
    SQLException e = new SQLException("outage", state);
    assertThat(Dialect.postgresql().classify(e)).isEqualTo(kind);
    assertThat(Dialect.postgresql().isTransient(new RuntimeException("wrapped", e))).isTrue();
  }

  @ParameterizedTest(name = "MariaDB {0} is {1}")
  @CsvSource({
    "1290, HY000, READ_ONLY",
    "1836, HY000, READ_ONLY",
    "1969, 70100, STATEMENT_CANCELLED",
    "3024, HY000, STATEMENT_CANCELLED",
    "1317, 70100, STATEMENT_CANCELLED",
    "1040, 08004, RESOURCES_EXHAUSTED",
    "1040, HY000, RESOURCES_EXHAUSTED",
    "1203, 42000, RESOURCES_EXHAUSTED",
    "1021, HY000, RESOURCES_EXHAUSTED",
    "1037, HY001, RESOURCES_EXHAUSTED",
    "1041, HY000, RESOURCES_EXHAUSTED"
  })
  void mariadbOutagesAreTransient(int code, String state, SqlErrorKind kind) {
    SQLException e = new SQLException("outage", state, code);
    assertThat(Dialect.mariadb().classify(e)).isEqualTo(kind);
    assertThat(Dialect.mariadb().isTransient(e)).isTrue();
  }

  @Test
  void badDataIsNotTransient() {
    assertThat(Dialect.postgresql().isTransient(new SQLException("null", "23502"))).isFalse();
    assertThat(Dialect.mariadb().isTransient(new SQLException("null", "23000", 1048))).isFalse();
  }

  @ParameterizedTest(name = "{0} {1}/{2} comes from the data")
  @CsvSource({
    "postgresql, 23502, 0",
    "postgresql, 22003, 0",
    "postgresql, P0001, 0",
    "mariadb, 23000, 1048",
    "mariadb, 22001, 1406",
    "mariadb, 45000, 1644",
    "h2, 23502, 23502"
  })
  void anErrorTheDataCausesHasNoOutageSignature(String db, String state, int code) {
    Dialect d = dialect(db);
    assertThat(d.outageSignature(new SQLException("bad row", state, code))).isEmpty();
  }

  @Test
  void anErrorOfTheDatabaseStateHasAnOutageSignatureFoundThroughCauses() {
    SQLException denied = new SQLException("permission denied", "42501");
    assertThat(Dialect.postgresql().outageSignature(new IllegalStateException("handler", denied)))
        .contains("42501/0");
    assertThat(Dialect.mariadb().outageSignature(new SQLException("denied", "42000", 1142)))
        .contains("42000/1142");
    // the caller's own exception, or an SQLException without a SQLState: a record's fault
    assertThat(Dialect.postgresql().outageSignature(new IllegalArgumentException("bad"))).isEmpty();
    assertThat(Dialect.postgresql().outageSignature(new SQLException("bad"))).isEmpty();
  }

  private static Dialect dialect(String name) {
    return switch (name) {
      case "postgresql" -> Dialect.postgresql();
      case "mariadb" -> Dialect.mariadb();
      default -> Dialect.h2();
    };
  }
}
