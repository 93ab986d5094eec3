package dev.exactly.http;

import dev.exactly.testkit.ExternalService;

class PostgreSqlIngestTest extends AbstractIngestTest {
  @Override
  protected void assumeServer() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @Override
  protected String jdbcUrl() {
    return ExternalService.POSTGRESQL.url();
  }
}
