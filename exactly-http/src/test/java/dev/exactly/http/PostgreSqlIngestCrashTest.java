package dev.exactly.http;

import dev.exactly.testkit.ExternalService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;

class PostgreSqlIngestCrashTest extends AbstractIngestCrashTest {
  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @Override
  protected String jdbcUrl() {
    return ExternalService.POSTGRESQL.url();
  }

  @Override
  protected void dropTables(String... tables) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl());
        Statement s = c.createStatement()) {
      for (String t : tables) {
        s.execute("DROP TABLE IF EXISTS " + t);
      }
    }
  }
}
