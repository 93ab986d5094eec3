package dev.exactly.jdbc.outbox;

import dev.exactly.testkit.ExternalService;
import org.junit.jupiter.api.BeforeAll;

class MariaDbOutboxRelayTest extends AbstractOutboxRelayTest {
  @BeforeAll
  static void server() {
    ExternalService.MARIADB.assumeAvailable();
  }

  @Override
  protected String jdbcUrl() {
    return ExternalService.MARIADB.url();
  }

  @Override
  protected boolean jumpSettlesPromptly() {
    return false;
  }
}
