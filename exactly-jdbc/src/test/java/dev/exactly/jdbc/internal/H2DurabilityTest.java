package dev.exactly.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.jdbc.JdbcDedupStore;
import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.testkit.LogLines;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2DurabilityTest {
  @TempDir Path dir;

  @Test
  void anEmbeddedFileDatabaseThatWritesLateIsWarnedAboutWithTheFixAndNoPassword() {
    assertThat(
            H2Durability.warning(
                "jdbc:h2:file:/data/orders;USER=sa;PASSWORD=s3cret;FILE_PASSWORD=t0p",
                500,
                "dedup store h2:exactly_dedup"))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith("dedup store h2:exactly_dedup keeps its state")
                    .contains("jdbc:h2:file:/data/orders;USER=sa;PASSWORD=****;FILE_PASSWORD=****")
                    .contains("up to 500 ms after the commit returned")
                    .contains("breaks exactly-once")
                    .endsWith("Append ;WRITE_DELAY=0 to the URL")
                    .doesNotContain("s3cret")
                    .doesNotContain("t0p"));
  }

  @Test
  void everyEmbeddedFileFormIsAFile() {
    for (String url :
        List.of(
            "jdbc:h2:./data/x",
            "jdbc:h2:~/x",
            "jdbc:h2:/abs/x;AUTO_SERVER=TRUE",
            "jdbc:h2:nio:/x",
            "jdbc:h2:split:/x",
            "jdbc:h2:C:/data/x",
            "JDBC:H2:FILE:/x")) {
      assertThat(H2Durability.warning(url, 500, "c")).as(url).isPresent();
    }
  }

  @Test
  void memoryServersAndNoDelayAreNotWarnedAbout() {
    for (String url :
        List.of(
            "jdbc:h2:mem:x;DB_CLOSE_DELAY=-1",
            "jdbc:h2:tcp://db:9092/./data/x",
            "jdbc:h2:ssl://db/~/x",
            "jdbc:h2:zip:/x.zip!/db",
            "jdbc:h2:memFS:x",
            "jdbc:h2:nioMemLZF:x",
            "jdbc:postgresql://127.0.0.1/test")) {
      assertThat(H2Durability.warning(url, 500, "c")).as(url).isEmpty();
    }
    assertThat(H2Durability.warning("jdbc:h2:file:/x", 0, "c")).isEmpty();
  }

  /**
   * H2's metadata drops the URL's settings, so the delay is read from the database: a file opened
   * without WRITE_DELAY=0 warns once when the store is built, one opened with it does not.
   */
  @Test
  void aStoreAndAnOutboxOnALateFileDatabaseWarnAtBuildAndNotOnADurableOne() throws Exception {
    String late = "jdbc:h2:file:" + dir.resolve("late").toAbsolutePath();
    try (LogLines lines = LogLines.capture("WRITE_DELAY")) {
      JdbcDedupStore.builder(dataSource(late)).build();
      try (Connection c = dataSource(late).getConnection()) {
        Outbox.builder().build().createTableIfAbsent(c);
      }
      assertThat(lines.matching())
          .hasSize(2)
          .anySatisfy(
              l ->
                  assertThat(l)
                      .contains("WARN")
                      .contains("dedup store h2:exactly_dedup keeps its state in the H2 file")
                      .contains(late)
                      .contains("Append ;WRITE_DELAY=0 to the URL"))
          .anySatisfy(l -> assertThat(l).contains("outbox exactly_outbox keeps its state"));
    }
    String durable = "jdbc:h2:file:" + dir.resolve("durable").toAbsolutePath() + ";WRITE_DELAY=0";
    try (LogLines lines = LogLines.capture("WRITE_DELAY")) {
      JdbcDedupStore.builder(dataSource(durable)).build();
      assertThat(lines.matching()).isEmpty();
    }
  }

  private static JdbcDataSource dataSource(String url) {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL(url);
    return ds;
  }
}
