package dev.exactly.examples.docs;

import dev.exactly.RetryPolicy;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotencyKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.jdbc.JdbcDedupStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The snippet of docs/idempotent-consumer.md. */
final class IdempotentConsumerExample {
  private IdempotentConsumerExample() {}

  /** The downstream whose effect must happen once per payment. */
  interface PaymentGateway {
    void charge(HttpRequest request) throws IOException, CardDeclined;
  }

  /** A refusal no retry can change. */
  static final class CardDeclined extends Exception {
    CardDeclined(String message) {
      super(message);
    }
  }

  static IdempotentConsumer run(
      Map<String, Object> kafkaProperties,
      DataSource dataSource,
      PaymentGateway gateway,
      URI chargeUri,
      String podName,
      MeterRegistry registry) {
    DedupStore store = JdbcDedupStore.builder(dataSource).table("exactly_dedup").build();
    // or RedisDedupStore.builder("redis://127.0.0.1:6379").build()

    IdempotentConsumer consumer =
        IdempotentConsumer.builder(kafkaProperties)
            .groupId("payments-charger")
            .input("payments", new StringDeserializer(), new StringDeserializer())
            // or fromValue(Payment.class, Payment::id), header(..), recordKey(), ...
            .dedupKey(DedupKey.jsonPointer("/paymentId"))
            .store(store)
            .lease(Duration.ofSeconds(10)) // renewed while handlers run; the default
            .retention(Duration.ofDays(7)) // at least the input topic's retention.ms
            .retry(RetryPolicy.exponential(5, Duration.ofMillis(200)))
            .deadLetterTopic("payments.dlt")
            // besides NonRetriableException, anywhere in the cause chain
            .nonRetriable(CardDeclined.class)
            .instanceId(podName) // default: group.instance.id, else the host name
            .meterRegistry(registry) // default: a private registry, never the global one
            .handler(
                record ->
                    gateway.charge(
                        // sets the header Idempotency-Key: <paymentId>
                        IdempotencyKey.relay(HttpRequest.newBuilder(chargeUri), record)
                            .POST(BodyPublishers.ofString(record.value()))
                            .build()))
            .build()
            .start();
    return consumer;
  }
}
