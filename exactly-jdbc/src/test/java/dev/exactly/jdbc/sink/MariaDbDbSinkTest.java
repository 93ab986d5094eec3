package dev.exactly.jdbc.sink;

import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.testkit.ExternalService;
import org.junit.jupiter.api.BeforeAll;

class MariaDbDbSinkTest extends AbstractDbSinkTest {
  @BeforeAll
  static void server() {
    ExternalService.MARIADB.assumeAvailable();
  }

  @Override
  protected String url() {
    return ExternalService.MARIADB.url();
  }

  @Override
  protected Dialect expectedDialect() {
    return Dialect.mariadb();
  }
}
