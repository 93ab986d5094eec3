package dev.exactly.http;

import dev.exactly.testkit.ExternalService;

class MariaDbIngestTest extends AbstractIngestTest {
  @Override
  protected void assumeServer() {
    ExternalService.MARIADB.assumeAvailable();
  }

  @Override
  protected String jdbcUrl() {
    return ExternalService.MARIADB.url();
  }
}
