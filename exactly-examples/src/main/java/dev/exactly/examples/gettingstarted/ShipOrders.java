package dev.exactly.examples.gettingstarted;

import dev.exactly.NonRetriableException;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotencyKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.IdempotentRecord;
import dev.exactly.jdbc.JdbcDedupStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Kafka to an HTTP service: each accepted order is shipped once, whatever redelivers it. */
public final class ShipOrders {
  private ShipOrders() {}

  public static IdempotentConsumer start(
      String bootstrapServers, DataSource database, URI shippingService, String instanceId) {
    HttpClient http = HttpClient.newHttpClient();
    return IdempotentConsumer.builder(Map.of("bootstrap.servers", bootstrapServers))
        .groupId("ship-orders")
        .instanceId(instanceId)
        .input(ShopTopics.ACCEPTED, new StringDeserializer(), new StringDeserializer())
        .dedupKey(DedupKey.recordKey()) // the order id: one shipment per order
        .store(JdbcDedupStore.builder(database).build()) // creates table exactly_dedup if absent
        .handler(record -> ship(http, shippingService, record))
        .build()
        .start();
  }

  static void ship(HttpClient http, URI shippingService, IdempotentRecord<String, String> record)
      throws IOException, InterruptedException {
    HttpRequest request =
        IdempotencyKey.relay(HttpRequest.newBuilder(shippingService), record) // Idempotency-Key
            .POST(BodyPublishers.ofString(record.key()))
            .build();
    HttpResponse<String> response = http.send(request, BodyHandlers.ofString());
    if (response.statusCode() >= 500) {
      throw new IOException("shipping answered " + response.statusCode()); // retried
    }
    if (response.statusCode() >= 400) { // dead-lettered to orders-accepted.dlt
      throw new NonRetriableException("shipping refused " + record.key() + ": " + response.body());
    }
  }
}
