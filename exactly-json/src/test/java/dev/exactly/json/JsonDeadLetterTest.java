package dev.exactly.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** On a real broker: a value that is not the JSON type goes to the DLT and the rest flow. */
class JsonDeadLetterTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  record Order(String id, long cents) {}

  @Test
  void aMalformedValueIsADeserializationDeadLetterAndDoesNotBlockItsPartition() throws Exception {
    String bootstrap = KAFKA.broker().bootstrapServers();
    KAFKA.broker().createTopic("json-orders", 1);
    KAFKA.broker().createTopic("json-orders.dlt", 1);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", bootstrap),
            new StringSerializer(),
            new StringSerializer())) {
      producer.send(new ProducerRecord<>("json-orders", "{\"id\":\"o-1\",\"cents\":100}")).get();
      producer.send(new ProducerRecord<>("json-orders", "{\"id\":\"o-2\",\"cents\":")).get();
      producer.send(new ProducerRecord<>("json-orders", "{\"id\":\"o-3\",\"cents\":300}")).get();
    }
    List<Order> handled = new CopyOnWriteArrayList<>();
    try (IdempotentConsumer consumer =
        IdempotentConsumer.builder(Map.<String, Object>of("bootstrap.servers", bootstrap))
            .groupId("json-group")
            .input("json-orders", new StringDeserializer(), JsonSerde.deserializer(Order.class))
            .dedupKey(DedupKey.fromValue(Order.class, Order::id))
            .store(InMemoryDedupStore.create(100))
            .handler(r -> handled.add(r.value()))
            .build()
            .start()) {
      await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == 2);
      assertThat(consumer.failure()).isEmpty();
    }
    assertThat(handled).containsExactly(new Order("o-1", 100), new Order("o-3", 300));
    List<ConsumerRecord<byte[], byte[]>> dead =
        TopicReader.readCommitted(bootstrap, "json-orders.dlt");
    assertThat(dead).singleElement();
    assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).isEqualTo("deserialization");
    assertThat(header(dead.get(0), DeadLetterHeaders.EXCEPTION_CLASS))
        .isEqualTo("org.apache.kafka.common.errors.SerializationException");
    assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8))
        .as("the original bytes, untouched")
        .isEqualTo("{\"id\":\"o-2\",\"cents\":");
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
