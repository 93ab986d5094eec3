package dev.exactly.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.testkit.TestDirectories;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

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

  /**
   * The negative control: the same crashes and retries against a server that sends the record with
   * an idempotent producer and then stores the key. The run must show what the ingest prevents,
   * keys published twice, or the test above could pass by checking nothing.
   */
  @Test
  void theSameCrashesDuplicateKeysWhenTheRecordIsSentBeforeTheKeyIsStored() throws Exception {
    CrashRun run = crashRun("producer-then-key");
    assertThat(run.duplicated())
        .as("keys the retry published again after a crash between the ack and the key's commit")
        .isNotEmpty();
    assertThat(run.published().keySet()).containsAll(run.accepted());
    System.out.println("negative control: keys published twice " + run.duplicated().keySet());
  }
}
