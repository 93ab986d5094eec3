package dev.exactly.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.exactly.testkit.ExternalService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PostgreSqlDialectTest extends AbstractDialectTest {

  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @Override
  protected Connection connect() throws SQLException {
    return DriverManager.getConnection(ExternalService.POSTGRESQL.url());
  }

  @Override
  protected Dialect expectedDialect() {
    return Dialect.postgresql();
  }

  @Override
  protected void shortLockTimeout(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET lock_timeout = '500ms'");
    }
  }

  @Override
  protected void killSession(Connection victim, Connection killer) throws SQLException {
    long pid;
    try (Statement s = victim.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      pid = rs.getLong(1);
    }
    try (Statement s = killer.createStatement()) {
      s.execute("SELECT pg_terminate_backend(" + pid + ")");
    }
  }

  @Test
  void aSerializationFailureIsClassifiedAsTransient() throws SQLException {
    try (Connection setup = connect();
        Statement s = setup.createStatement()) {
      s.executeUpdate(
          "INSERT INTO " + table + " (k, v, expires_at, now_at) VALUES ('s', 'v', 0, 0)");
    }
    Connection reader = open();
    Connection writer = open();
    reader.setAutoCommit(false);
    reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try (Statement s = reader.createStatement();
        ResultSet rs = s.executeQuery("SELECT v FROM " + table + " WHERE k = 's'")) {
      rs.next();
    }
    try (Statement s = writer.createStatement()) {
      s.executeUpdate("UPDATE " + table + " SET v = 'w' WHERE k = 's'");
    }
    Throwable t =
        catchThrowable(
            () -> {
              try (Statement s = reader.createStatement()) {
                s.executeUpdate("UPDATE " + table + " SET v = 'r' WHERE k = 's'");
              }
            });
    reader.rollback();
    assertThat(Dialect.postgresql().classify(t))
        .as(String.valueOf(t))
        .isEqualTo(SqlErrorKind.SERIALIZATION_FAILURE);
  }
}
