package dev.exactly.http;

class H2IngestTest extends AbstractIngestTest {
  @Override
  protected String jdbcUrl() {
    return "jdbc:h2:mem:ingest;DB_CLOSE_DELAY=-1";
  }
}
