package dev.exactly.jdbc.sink;

import dev.exactly.testkit.ExternalService;
import org.junit.jupiter.api.BeforeAll;

class PostgreSqlSinkCrashTest extends AbstractSinkCrashTest {
  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @Override
  protected String url() {
    return ExternalService.POSTGRESQL.url();
  }

  @Override
  protected String db() {
    return "pg";
  }
}
