package dev.exactly.examples.docs;

import dev.exactly.Ordering;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotencyKey;
import dev.exactly.dedup.IdempotentConsumer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The concurrency snippet of docs/idempotent-consumer.md. */
final class ConcurrentConsumerExample {
  private ConcurrentConsumerExample() {}

  static IdempotentConsumer run(
      Map<String, Object> kafkaProperties, DedupStore store, HttpClient http, URI blockUri) {
    IdempotentConsumer consumer =
        IdempotentConsumer.builder(kafkaProperties)
            .groupId("card-blocker")
            .input("fraud-verdicts", new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.jsonPointer("/verdictId"))
            .store(store)
            // Up to 32 handlers at once; one card's verdicts still run in offset order.
            .concurrency(32)
            .ordering(Ordering.KEY)
            .handler(
                r -> {
                  HttpRequest request =
                      IdempotencyKey.relay(HttpRequest.newBuilder(blockUri), r)
                          .POST(HttpRequest.BodyPublishers.ofString(r.value()))
                          .build();
                  http.send(request, HttpResponse.BodyHandlers.discarding());
                })
            .build();
    return consumer.start();
  }
}
