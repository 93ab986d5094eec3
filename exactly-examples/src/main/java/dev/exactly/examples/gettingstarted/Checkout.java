package dev.exactly.examples.gettingstarted;

import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.jdbc.outbox.OutboxRelay;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import javax.sql.DataSource;

/** Database to Kafka: an order row and its event commit together, or neither does. */
public final class Checkout {
  private final DataSource database;
  private final Outbox outbox = Outbox.builder().table("shop_outbox").build();

  public Checkout(DataSource database) throws SQLException {
    this.database = database;
    try (Connection connection = database.getConnection();
        Statement ddl = connection.createStatement()) {
      ddl.execute(
          "CREATE TABLE IF NOT EXISTS shop_orders"
              + " (id VARCHAR(64) PRIMARY KEY, body VARCHAR(4000) NOT NULL)");
      outbox.createTableIfAbsent(connection); // before the first write; outside a business tx
    }
  }

  public void placeOrder(String orderId, String orderJson) throws SQLException {
    try (Connection connection = database.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement insert =
          connection.prepareStatement("INSERT INTO shop_orders (id, body) VALUES (?, ?)")) {
        insert.setString(1, orderId);
        insert.setString(2, orderJson);
        insert.executeUpdate();
        byte[] key = orderId.getBytes(StandardCharsets.UTF_8);
        byte[] value = orderJson.getBytes(StandardCharsets.UTF_8);
        outbox.write(connection, ShopTopics.ORDERS, key, value); // same transaction
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback(); // no order row, no event
        throw e;
      }
    }
  }

  public static OutboxRelay startRelay(DataSource database, String bootstrapServers) {
    OutboxRelay relay =
        OutboxRelay.builder()
            .dataSource(database)
            .kafkaProperties(Map.of("bootstrap.servers", bootstrapServers))
            .table("shop_outbox")
            .positionTopic(ShopTopics.OUTBOX_POSITIONS)
            .deadLetterTopic(ShopTopics.OUTBOX_DLT)
            .build();
    relay.start();
    return relay;
  }
}
