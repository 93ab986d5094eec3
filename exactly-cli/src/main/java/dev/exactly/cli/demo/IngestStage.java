package dev.exactly.cli.demo;

import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.http.IdempotentIngest;
import dev.exactly.http.IngestServer;
import dev.exactly.jdbc.outbox.OutboxRelay;

/**
 * Stage 1, in its own JVM: {@code POST /api/orders} with an Idempotency-Key, stored with its outbox
 * row in one DB transaction, published to {@code orders} by the relay in this process. Keyed by
 * customer, so one customer's orders stay in order. Both guarantees use it: the demo's
 * at-least-once pipeline differs downstream.
 */
public final class IngestStage {
  private IngestStage() {}

  public static void main(String[] args) throws Exception {
    StageArgs a = StageArgs.parse(args);
    HikariDataSource db = a.dataSource("ingest");
    IdempotentIngest ingest =
        IdempotentIngest.builder()
            .dataSource(db)
            .route("/api/orders", DemoTopics.ORDERS, "/customer")
            .table(DemoTopics.IDEMPOTENCY)
            .outboxTable(DemoTopics.ORDER_OUTBOX)
            .requireKey(true)
            .build();
    ingest.createTablesIfAbsent();
    OutboxRelay relay =
        OutboxRelay.builder()
            .dataSource(db)
            .table(DemoTopics.ORDER_OUTBOX)
            .kafkaProperties(a.kafka("ingest-relay"))
            .name("ingest-relay")
            .instanceId("ingest-relay")
            .positionTopic("demo-ingest-positions")
            .deadLetterTopic("demo-ingest-outbox-dlt")
            .createTopics(true)
            .build();
    relay.start();
    IngestServer server =
        IngestServer.builder().ingest(ingest).port(Integer.parseInt(a.get(StageArgs.PORT))).build();
    server.start();
    StageMains.ready("ingest", relay);
  }
}
