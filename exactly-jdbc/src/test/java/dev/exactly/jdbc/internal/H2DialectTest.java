package dev.exactly.jdbc.internal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;

class H2DialectTest extends AbstractDialectTest {
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private String url;

  @BeforeEach
  @Override
  void createTable() throws SQLException {
    // A database per test: one test shuts its database down.
    url = "jdbc:h2:mem:dialect" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
    super.createTable();
  }

  @Override
  protected Connection connect() throws SQLException {
    return DriverManager.getConnection(url);
  }

  @Override
  protected Dialect expectedDialect() {
    return Dialect.h2();
  }

  @Override
  protected void shortLockTimeout(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCK_TIMEOUT 500");
    }
  }

  @Override
  protected void killSession(Connection victim, Connection killer) throws SQLException {
    try (Statement s = killer.createStatement()) {
      s.execute("SHUTDOWN");
    }
  }
}
