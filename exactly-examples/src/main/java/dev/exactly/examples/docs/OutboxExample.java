package dev.exactly.examples.docs;

import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.jdbc.outbox.OutboxRelay;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;

/** The snippet of docs/outbox.md. */
final class OutboxExample {
  private OutboxExample() {}

  static void run(DataSource dataSource, Connection connection, String orderId, String orderJson)
      throws SQLException {
    Outbox outbox = Outbox.builder().table("orders_outbox").build(); // once, shared
    // inside your own transaction, on your own connection (plain JDBC, Spring-bound, anything):
    byte[] key = orderId.getBytes(StandardCharsets.UTF_8);
    byte[] value = orderJson.getBytes(StandardCharsets.UTF_8);
    outbox.write(
        connection,
        "order-events",
        key,
        value,
        Map.of("type", "created".getBytes(StandardCharsets.UTF_8)));

    OutboxRelay relay =
        OutboxRelay.builder()
            .dataSource(dataSource)
            .kafkaProperties(Map.of("bootstrap.servers", "kafka:9092")) // SSL/SASL passed through
            .table("orders_outbox")
            .build(); // every setting checked here
    relay.start();
    // ... until the application stops:
    relay.close(Duration.ofSeconds(30));
  }
}
