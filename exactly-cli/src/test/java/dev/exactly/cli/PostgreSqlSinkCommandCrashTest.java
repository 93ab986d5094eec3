package dev.exactly.cli;

import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.ExternalService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code exactly sink} SIGKILLed and restarted on PostgreSQL. */
class PostgreSqlSinkCommandCrashTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private final String table = "sink_cli_crash_" + ProcessHandle.current().pid();

  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @AfterEach
  void dropTables() throws Exception {
    try (Connection c = DriverManager.getConnection(ExternalService.POSTGRESQL.url());
        Statement s = c.createStatement()) {
      for (String t : new String[] {table, table + "_offsets", table + "_offsets_dlt"}) {
        s.execute("DROP TABLE IF EXISTS " + t);
      }
    }
  }

  @Test
  void killedAtRandomEveryKeyHoldsItsLatestDocumentAppliedOncePerRecord() throws Exception {
    String topic = "sink-crash-pg-" + ProcessHandle.current().pid();
    KAFKA.broker().createTopic(topic, 3);
    // The children get the user as an option and a password from the environment (the server
    // trusts loopback, so any password works); the URL itself carries neither.
    SinkCommandCrash.run(
        KAFKA.broker().bootstrapServers(),
        "jdbc:postgresql://127.0.0.1:5432/test",
        ExternalService.POSTGRESQL.url(),
        table,
        topic,
        List.of("--jdbc-user", "postgres"),
        Map.of(JdbcOptions.PASSWORD_VARIABLE, "pw-" + UUID.randomUUID()));
  }
}
