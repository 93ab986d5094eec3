package dev.exactly.examples.gettingstarted;

import dev.exactly.NonRetriableException;
import dev.exactly.processor.ExactlyOnceProcessor;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Kafka to Kafka: each order in {@code orders} becomes one accepted order, exactly once. */
public final class AcceptOrders {
  private AcceptOrders() {}

  public static ExactlyOnceProcessor start(String bootstrapServers, String instanceId) {
    ExactlyOnceProcessor processor =
        ExactlyOnceProcessor.builder(Map.of("bootstrap.servers", bootstrapServers))
            .groupId("accept-orders")
            .instanceId(instanceId) // stable per instance: it names the transactional id
            .input(ShopTopics.ORDERS, new StringDeserializer(), new StringDeserializer())
            .output(new StringSerializer(), new StringSerializer())
            .process(
                (record, out) -> {
                  if (record.key() == null) {
                    // No retry can fix this record: it goes to orders.dlt at once.
                    throw new NonRetriableException("an order without an id: " + record.value());
                  }
                  out.send(ShopTopics.ACCEPTED, record.key(), accept(record.value()));
                })
            .build(); // checks every setting; throws ConfigurationException naming the fix
    processor.start(); // refuses to start while orders or orders.dlt is missing
    return processor;
  }

  /** The transformation: the order's JSON object with {@code "status":"accepted"} added. */
  static String accept(String orderJson) {
    return orderJson.substring(0, orderJson.lastIndexOf('}')) + ",\"status\":\"accepted\"}";
  }
}
