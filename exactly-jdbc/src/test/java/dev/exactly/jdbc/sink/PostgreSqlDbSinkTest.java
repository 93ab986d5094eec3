package dev.exactly.jdbc.sink;

import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.testkit.ExternalService;
import org.junit.jupiter.api.BeforeAll;

class PostgreSqlDbSinkTest extends AbstractDbSinkTest {
  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @Override
  protected String url() {
    return ExternalService.POSTGRESQL.url();
  }

  @Override
  protected Dialect expectedDialect() {
    return Dialect.postgresql();
  }
}
