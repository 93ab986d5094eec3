package dev.exactly.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.jdbc.Database;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** A database that cannot be reached: 503 with Retry-After, as problem+json, nothing accepted. */
class DatabaseDownTest {

  @Test
  void anUnreachableDatabaseAnswers503WithRetryAfter() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + closedPort + "/test?user=postgres");
    config.setConnectionTimeout(250);
    config.setInitializationFailTimeout(-1);
    try (HikariDataSource dataSource = new HikariDataSource(config)) {
      IdempotentIngest ingest =
          IdempotentIngest.builder()
              .dataSource(dataSource)
              .database(Database.POSTGRESQL)
              .route("/orders", "orders", "/orderId")
              .build();
      try (IngestServer server = IngestServer.builder().ingest(ingest).port(0).build()) {
        server.start();
        Http http = new Http(server.port());
        for (String key : new String[] {Http.quoted("k-1"), null}) {
          HttpResponse r = http.post("/orders", key, "{\"orderId\":\"o-1\"}");
          AbstractIngestTest.assertProblem(r, 503);
          assertThat(r.header("Retry-After")).contains("1");
        }
      }
    }
  }
}
