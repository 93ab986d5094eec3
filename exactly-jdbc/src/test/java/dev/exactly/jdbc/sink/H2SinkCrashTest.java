package dev.exactly.jdbc.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.TestDirectories;
import dev.exactly.testkit.check.CheckReport;
import java.sql.SQLException;
import java.time.Duration;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * H2 as a TCP server started by the test, so several child JVMs share one database. Also holds the
 * negative control: the common wrong way (DB commit, then Kafka commit) killed between the two must
 * be caught duplicating.
 */
class H2SinkCrashTest extends AbstractSinkCrashTest {
  private static Server server;

  @BeforeAll
  static void startServer() throws SQLException {
    server =
        Server.createTcpServer(
                "-tcpPort",
                "0",
                "-ifNotExists",
                "-baseDir",
                TestDirectories.newDirectory("h2-server").toAbsolutePath().toString())
            .start();
  }

  @AfterAll
  static void stopServer() {
    server.stop();
  }

  @Override
  protected String url() {
    return "jdbc:h2:tcp://127.0.0.1:" + server.getPort() + "/sink;LOCK_TIMEOUT=10000";
  }

  @Override
  protected String db() {
    return "h2";
  }

  @Test
  void negativeControlKafkaOffsetsAfterTheDbCommitDuplicateAfterACrash() throws Exception {
    int n = 3000;
    KAFKA.broker().createTopic(topic, 1);
    SinkFixtures.produce(KAFKA.broker().bootstrapServers(), topic, 0, n, 100);
    ChildProcess naive = child("naive", "mode=naive", "crash=AFTER_DB_COMMIT@3");
    naive.awaitOutput("CRASHPOINT", Duration.ofSeconds(120));
    naive.kill();
    child("naive2", "mode=naive");
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () -> SinkFixtures.count(url(), "SELECT COUNT(DISTINCT input_id) FROM " + table),
            c -> c == n);
    CheckReport report = check(n);
    System.out.println(report.summary());
    assertThat(report.isExactlyOnce()).isFalse();
    assertThat(report.duplicated()).hasSize(200); // the third batch, written twice
    assertThat(report.lost()).isEmpty();
  }
}
