package dev.exactly.cli.demo;

import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.jdbc.JdbcDedupStore;
import dev.exactly.jdbc.outbox.OutboxRelay;
import dev.exactly.redis.RedisDedupStore;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.RecordCodec;
import java.net.URI;
import java.time.Duration;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Stage 3b, in its own JVM: charges each payment at the payment gateway, then records the charge
 * and an outbox row for {@code notifications} in one DB transaction; the relay in this process
 * publishes the outbox. Exactly-once: an {@link IdempotentConsumer} with the order id relayed as
 * Idempotency-Key, so the gateway charges once even when a kill falls between the charge and the
 * commit; its JDBC dedup store marks the order done in the transaction of the rows, or, with Redis,
 * the rows carry their own unique mark ({@link ChargeRecords#writeOnce}). At-least-once: a plain
 * consumer that sends no key.
 */
public final class ChargeStage {
  private ChargeStage() {}

  public static void main(String[] args) throws Exception {
    StageArgs a = StageArgs.parse(args);
    HikariDataSource db = a.dataSource("charge");
    Gateway gateway = new Gateway(URI.create(a.get(StageArgs.GATEWAY)));
    ChargeRecords records = new ChargeRecords(StageArgs.runId("charge"));
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
            records.write(c, order);
          });
      return;
    }
    IdempotentConsumer.Builder<String, byte[]> builder =
        IdempotentConsumer.builder(a.kafka("charge"))
            .groupId("demo-charge")
            .instanceId("charge")
            .input(DemoTopics.PAYMENTS, new StringDeserializer(), new ByteArrayDeserializer())
            .dedupKey(DedupKey.header(DemoTopics.ORDER_ID_HEADER))
            .createTopics(true)
            .concurrency(4); // different customers at once; one customer's charges in order
    String redis = a.find(StageArgs.REDIS);
    if (redis == null) {
      builder
          .store(JdbcDedupStore.builder(db).table(DemoTopics.DEDUP).build())
          .transactionalHandler(
              (record, connection) -> {
                Input order = RecordCodec.decodeOutput(record.value()).input();
                gateway.charge(order.id(), record.idempotencyKey());
                records.write(connection, order);
              });
    } else {
      builder
          .store(RedisDedupStore.builder(redis).keyPrefix(a.get(StageArgs.REDIS_PREFIX)).build())
          .lease(Duration.ofSeconds(3)) // a killed run's claims free its keys soon
          .handler(
              record -> {
                Input order = RecordCodec.decodeOutput(record.value()).input();
                gateway.charge(order.id(), record.idempotencyKey());
                records.writeOnce(db, order);
              });
    }
    IdempotentConsumer consumer = builder.build().start();
    StageMains.ready("charge", consumer, relay);
  }
}
