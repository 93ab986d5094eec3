package dev.exactly.cli.demo;

import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.jdbc.JdbcDedupStore;
import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.jdbc.outbox.OutboxRelay;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.RecordCodec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Stage 3b, in its own JVM: charges each payment at the payment gateway, then records the charge
 * and an outbox row for {@code notifications} in one DB transaction; the relay in this process
 * publishes the outbox. Exactly-once: an {@link IdempotentConsumer} whose JDBC dedup store marks
 * the order done in that same transaction, and the order id relayed as Idempotency-Key so the
 * gateway charges once even when a kill falls between the charge and the commit. At-least-once: a
 * plain consumer that sends no key.
 */
public final class ChargeStage {
  private ChargeStage() {}

  public static void main(String[] args) throws Exception {
    StageArgs a = StageArgs.parse(args);
    HikariDataSource db = a.dataSource("charge");
    Gateway gateway = new Gateway(URI.create(a.get(StageArgs.GATEWAY)));
    Outbox outbox = Outbox.builder().table(DemoTopics.CHARGE_OUTBOX).build();
    String attempt = StageArgs.runId("charge");
    OutboxRelay relay =
        OutboxRelay.builder()
            .dataSource(db)
            .kafkaProperties(a.kafka("notify-relay"))
            .table(DemoTopics.CHARGE_OUTBOX)
            .name("notify-relay")
            .instanceId("notify-relay")
            .positionTopic("demo-notify-positions")
            .deadLetterTopic("demo-notify-outbox-dlt")
            .createTopics(true)
            .build();
    relay.start();
    if (!a.exactlyOnce()) {
      PlainConsumerLoop.run(
          a,
          "charge",
          DemoTopics.PAYMENTS,
          db,
          (r, c) -> {
            Input order = RecordCodec.decodeOutput(r.value()).input();
            gateway.charge(order.id(), null);
            record(c, outbox, order, attempt);
          });
      return;
    }
    IdempotentConsumer consumer =
        IdempotentConsumer.builder(a.kafka("charge"))
            .groupId("demo-charge")
            .instanceId("charge")
            .input(DemoTopics.PAYMENTS, new StringDeserializer(), new ByteArrayDeserializer())
            .dedupKey(DedupKey.header(DemoTopics.ORDER_ID_HEADER))
            .store(JdbcDedupStore.builder(db).table(DemoTopics.DEDUP).build())
            .createTopics(true)
            .concurrency(4) // different customers at once; one customer's charges in order
            .transactionalHandler(
                (record, connection) -> {
                  Input order = RecordCodec.decodeOutput(record.value()).input();
                  gateway.charge(order.id(), record.idempotencyKey());
                  record(connection, outbox, order, attempt);
                })
            .build()
            .start();
    StageMains.ready("charge", consumer, relay);
  }

  private static void record(Connection c, Outbox outbox, Input order, String attempt)
      throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO "
                + DemoTopics.CHARGES
                + " (order_id, customer, attempt, at_ms) VALUES (?, ?, ?, ?)")) {
      insert.setString(1, order.id());
      insert.setString(2, order.key());
      insert.setString(3, attempt);
      insert.setLong(4, System.currentTimeMillis());
      insert.executeUpdate();
    }
    outbox.write(
        c,
        DemoTopics.NOTIFICATIONS,
        order.key().getBytes(StandardCharsets.UTF_8),
        RecordCodec.encodeOutput(order, attempt));
  }
}
