package dev.exactly.cli.demo;

import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.jdbc.sink.DbSink;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Stage 3a, in its own JVM: writes each payment to {@code processed_orders}. Exactly-once: the
 * {@link DbSink} commits the rows with the offsets. At-least-once: a plain consumer that commits
 * its offsets after the rows ({@link PlainConsumerLoop}). The table has no unique key on purpose: a
 * repeated write shows as a second row.
 */
public final class LedgerStage {
  private LedgerStage() {}

  public static void main(String[] args) throws Exception {
    StageArgs a = StageArgs.parse(args);
    HikariDataSource db = a.dataSource("ledger");
    String attempt = StageArgs.runId("ledger");
    if (!a.exactlyOnce()) {
      PlainConsumerLoop.run(
          a, "ledger", DemoTopics.PAYMENTS, db, (r, c) -> insert(c, List.of(r), attempt));
      return;
    }
    DbSink<String, byte[]> sink =
        DbSink.<String, byte[]>builder()
            .kafkaProperties(a.kafka("ledger"))
            .groupId("demo-ledger")
            .instanceId("ledger")
            .topics(DemoTopics.PAYMENTS)
            .deserializers(new StringDeserializer(), new ByteArrayDeserializer())
            .dataSource(db)
            .offsetTable(DemoTopics.SINK_OFFSETS)
            .createTopics(true)
            .handler((records, connection) -> insert(connection, records, attempt))
            .build();
    sink.start();
    StageMains.ready("ledger", sink);
  }

  static void insert(Connection c, List<ConsumerRecord<String, byte[]>> records, String attempt)
      throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO "
                + DemoTopics.PROCESSED_ORDERS
                + " (order_id, customer, score, attempt, at_ms) VALUES (?, ?, ?, ?, ?)")) {
      for (ConsumerRecord<String, byte[]> r : records) {
        Input order = RecordCodec.decodeOutput(r.value()).input();
        insert.setString(1, order.id());
        insert.setString(2, order.key());
        insert.setInt(3, Integer.parseInt(header(r, DemoTopics.SCORE_HEADER)));
        insert.setString(4, attempt);
        insert.setLong(5, System.currentTimeMillis());
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    if (h == null) {
      throw new IllegalArgumentException("payment without header " + name);
    }
    return new String(h.value(), StandardCharsets.UTF_8);
  }
}
