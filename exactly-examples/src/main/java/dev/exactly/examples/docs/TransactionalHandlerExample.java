package dev.exactly.examples.docs;

import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.jdbc.JdbcDedupStore;
import java.sql.PreparedStatement;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The transactional-handler snippet of docs/idempotent-consumer.md. */
final class TransactionalHandlerExample {
  private TransactionalHandlerExample() {}

  static IdempotentConsumer run(Map<String, Object> kafkaProperties, DataSource dataSource) {
    // The store and the handler's writes must share one database: the same DataSource.
    JdbcDedupStore store = JdbcDedupStore.builder(dataSource).table("exactly_dedup").build();

    return IdempotentConsumer.builder(kafkaProperties)
        .groupId("ledger-writer")
        .input("payments", new StringDeserializer(), new StringDeserializer())
        .dedupKey(DedupKey.jsonPointer("/paymentId"))
        .store(store)
        .transactionalHandler(
            (record, connection) -> {
              // No commit, rollback or close: the consumer's transaction owns the connection.
              try (PreparedStatement insert =
                  connection.prepareStatement(
                      "INSERT INTO ledger (dedup_key, body) VALUES (?, ?)")) {
                insert.setString(1, record.dedupKey());
                insert.setString(2, record.value());
                insert.executeUpdate();
              }
            })
        .build()
        .start();
  }
}
