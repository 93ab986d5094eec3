package dev.exactly.examples.docs;

import dev.exactly.jdbc.sink.DbSink;
import dev.exactly.jdbc.sink.Upserts;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The snippet of docs/db-sink.md. */
final class DbSinkExample {
  private DbSinkExample() {}

  static void run(DataSource dataSource, MeterRegistry meterRegistry) {
    DbSink<String, String> sink =
        DbSink.<String, String>builder()
            .kafkaProperties(Map.of("bootstrap.servers", "kafka:9092")) // SSL/SASL pass through
            .groupId("orders-to-db")
            .topics("orders")
            .deserializers(new StringDeserializer(), new StringDeserializer())
            .dataSource(dataSource) // or .jdbcUrl("jdbc:postgresql://...") with HikariCP
            .handler(
                (records, connection) ->
                    Upserts.insertIfAbsent(
                        connection,
                        "processed_orders",
                        List.of("order_id", "payload"),
                        List.of("order_id"),
                        records.stream().map(r -> List.<Object>of(r.key(), r.value())).toList()))
            .meterRegistry(meterRegistry)
            .build();
    sink.start();
    // ... until the application stops:
    sink.close(Duration.ofSeconds(30));
  }
}
