package dev.exactly.http;

import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The design the ingest replaces, for the crash test's negative control: look the key up, send the
 * record with an idempotent producer, then store the key. A crash between the broker's ack and the
 * key's commit leaves a published record whose key the retry does not find, so it is sent again.
 * Its {@code HTTP_BEFORE_COMMIT} is that window.
 */
final class ProducerThenKeyIngest implements IdempotentIngest {
  private final DataSource dataSource;
  private final String table;
  private final String topic;
  private final KafkaProducer<byte[], byte[]> producer;
  private final FaultInjection faults;

  ProducerThenKeyIngest(
      DataSource dataSource,
      String table,
      String topic,
      KafkaProducer<byte[], byte[]> producer,
      FaultInjection faults) {
    this.dataSource = dataSource;
    this.table = table;
    this.topic = topic;
    this.producer = producer;
    this.faults = faults;
  }

  @Override
  public HttpResponse handle(HttpRequest request) {
    String key = request.header(KEY_HEADER).orElseThrow();
    String orderId = key.substring(1, key.length() - 1);
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + table + " WHERE k = ?")) {
        ps.setString(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            return new HttpResponse(202, Map.of(HttpResponse.REPLAYED_HEADER, "true"), new byte[0]);
          }
        }
      }
      producer
          .send(
              new ProducerRecord<>(
                  topic, orderId.getBytes(StandardCharsets.UTF_8), request.bodyUnsafe()))
          .get();
      faults.reached(FaultPoint.HTTP_BEFORE_COMMIT);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES (?)")) {
        ps.setString(1, key);
        ps.executeUpdate();
      }
      faults.reached(FaultPoint.HTTP_AFTER_COMMIT);
      return new HttpResponse(202, Map.of(), new byte[0]);
    } catch (SQLException | ExecutionException e) {
      return new HttpResponse(503, Map.of(), new byte[0]);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new HttpResponse(503, Map.of(), new byte[0]);
    }
  }

  @Override
  public int maxBodyBytes() {
    return 1 << 20;
  }

  @Override
  public void createTablesIfAbsent() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + table + " (k VARCHAR(300) PRIMARY KEY)");
    }
  }

  @Override
  public int purge() {
    return 0;
  }
}
