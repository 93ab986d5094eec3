package dev.exactly.examples.docs;

import dev.exactly.http.HttpRequest;
import dev.exactly.http.HttpResponse;
import dev.exactly.http.IdempotentIngest;
import dev.exactly.http.IngestServer;
import dev.exactly.jdbc.outbox.OutboxRelay;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;

/** The snippet of docs/http.md. */
final class HttpIngestExample {
  private HttpIngestExample() {}

  static void run(DataSource dataSource, Map<String, String> headers, byte[] body)
      throws Exception {
    IdempotentIngest ingest =
        IdempotentIngest.builder()
            .dataSource(dataSource)
            .route("/api/orders", "orders", "/orderId") // path, topic, JSON Pointer to the key
            .requireKey(true)
            .hook((connection, request) -> saveOrder(connection, request.recordKey()))
            .build(); // every setting checked here
    ingest.createTablesIfAbsent();

    // From any web framework: hand over the request, write out the response as it is.
    HttpResponse response = ingest.handle(HttpRequest.of("POST", "/api/orders", headers, body));

    // Or the standalone server (127.0.0.1:8080), with the relay that publishes the outbox.
    IngestServer server = IngestServer.builder().ingest(ingest).port(8080).build();
    OutboxRelay relay =
        OutboxRelay.builder()
            .dataSource(dataSource)
            .kafkaProperties(Map.of("bootstrap.servers", "kafka:9092"))
            .build();
    relay.start();
    server.start();
    // ... until the application stops: the server first, then the relay.
    server.close();
    relay.close(Duration.ofSeconds(30));
    System.out.println(response.status());
  }

  private static void saveOrder(Connection connection, String orderId) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("INSERT INTO orders (id) VALUES (?)")) {
      ps.setString(1, orderId);
      ps.executeUpdate();
    }
  }
}
