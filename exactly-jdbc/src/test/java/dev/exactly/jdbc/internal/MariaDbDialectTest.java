package dev.exactly.jdbc.internal;

import dev.exactly.testkit.ExternalService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;

class MariaDbDialectTest extends AbstractDialectTest {

  @BeforeAll
  static void server() {
    ExternalService.MARIADB.assumeAvailable();
  }

  @Override
  protected Connection connect() throws SQLException {
    return DriverManager.getConnection(ExternalService.MARIADB.url());
  }

  @Override
  protected Dialect expectedDialect() {
    return Dialect.mariadb();
  }

  @Override
  protected void shortLockTimeout(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET SESSION innodb_lock_wait_timeout = 1");
    }
  }

  @Override
  protected void killSession(Connection victim, Connection killer) throws SQLException {
    long id;
    try (Statement s = victim.createStatement();
        ResultSet rs = s.executeQuery("SELECT CONNECTION_ID()")) {
      rs.next();
      id = rs.getLong(1);
    }
    try (Statement s = killer.createStatement()) {
      s.execute("KILL " + id);
    }
  }
}
