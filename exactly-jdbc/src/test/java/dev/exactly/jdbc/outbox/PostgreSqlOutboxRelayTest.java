package dev.exactly.jdbc.outbox;

import dev.exactly.testkit.ExternalService;
import org.junit.jupiter.api.BeforeAll;

class PostgreSqlOutboxRelayTest extends AbstractOutboxRelayTest {
  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @Override
  protected String jdbcUrl() {
    return ExternalService.POSTGRESQL.url();
  }

  @Override
  protected boolean wakesOnWrite() {
    return true;
  }
}
