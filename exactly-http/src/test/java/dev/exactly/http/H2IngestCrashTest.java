package dev.exactly.http;

import dev.exactly.testkit.TestDirectories;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * On an H2 file database: {@code WRITE_DELAY=0} makes each commit reach the file before the
 * response, so a process killed after a 2xx keeps the key (H2's default delay of 500 ms would lose
 * the last commits).
 */
class H2IngestCrashTest extends AbstractIngestCrashTest {
  private final Path dir = TestDirectories.newDirectory("h2-ingest-crash");

  @Override
  protected String jdbcUrl() {
    return "jdbc:h2:file:" + dir.resolve("ingest").toAbsolutePath() + ";WRITE_DELAY=0";
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
