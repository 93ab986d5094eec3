package dev.exactly.testkit.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.NonRetriableException;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.internal.Metric;
import dev.exactly.testkit.CountingHttpServer;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.LogLines;
import dev.exactly.testkit.TopicReader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An instance dead-letters a record and stops before committing its offset; another instance takes
 * the partition over and the record's effect succeeds there. The record is then both done and in
 * the dead-letter topic, which the idempotent consumer cannot make atomic (the dead letter is in
 * Kafka, the effect elsewhere). What must hold: re-driving that dead letter into the input never
 * runs its effect a second time. With {@link DedupKey#topicPartitionOffset()} the re-driven copy
 * had a new offset, hence a new key, and the effect ran twice.
 */
class DeadLetterRedriveTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration WAIT = Duration.ofSeconds(90);
  // Longer than it takes Kafka to evict the frozen instance, so its successor must wait.
  private static final Duration LEASE = Duration.ofSeconds(15);

  private final List<IdempotentConsumer> consumers = new ArrayList<>();
  private final CountDownLatch thaw = new CountDownLatch(1);
  private final CountingHttpServer service =
      CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY);
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    thaw.countDown();
    consumers.forEach(c -> c.close(Duration.ofSeconds(30)));
    service.close();
  }

  @Test
  void aReDrivenDeadLetterWhoseOriginalTookEffectAfterAllIsSkipped() {
    String topic = "redrive";
    String dlt = topic + ".dlt";
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(dlt, 1);
    send(topic, new ProducerRecord<>(topic, bytes("order-1"), bytes("input-1")));
    DedupStore store = InMemoryDedupStore.create(1000);

    // The first instance refuses the record for good, then freezes after its dead letter: no
    // offset commit, no completion. Kafka evicts it after max.poll.interval.ms.
    FaultInjection freezeAfterDeadLetter =
        point -> {
          if (point == FaultPoint.CONSUMER_AFTER_DEAD_LETTER) {
            try {
              thaw.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    start(topic, dlt, store, true, freezeAfterDeadLetter, new SimpleMeterRegistry());
    await().atMost(WAIT).until(() -> TopicReader.readCommitted(bootstrap(), dlt).size() == 1);

    // Its successor runs the same record, and this time the effect succeeds: once the frozen
    // instance's lease on the key has run out, which it says at INFO while it waits.
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (LogLines waits = LogLines.capture("is held by another instance until")) {
      start(topic, dlt, store, false, FaultInjection.NONE, meters);
      await().atMost(WAIT).until(() -> service.effectCounts().getOrDefault("input-1", 0) == 1);
      assertThat(waits.matching())
          .as("the successor says why its partition stands still")
          .anySatisfy(l -> assertThat(l).contains("INFO").contains("redrive-0@0"));
    }

    // An operator re-drives the dead letter as it is, headers included.
    ConsumerRecord<byte[], byte[]> deadLetter = TopicReader.readCommitted(bootstrap(), dlt).get(0);
    send(
        topic,
        new ProducerRecord<>(
            topic, null, deadLetter.key(), deadLetter.value(), deadLetter.headers()));
    await()
        .atMost(WAIT)
        .until(() -> meters.get(Metric.RECORDS_IN.meterName()).counter().count() == 2);

    assertThat(service.effectCounts())
        .as("the re-driven dead letter's effect had already happened")
        .isEqualTo(Map.of("input-1", 1));
    assertThat(meters.get(Metric.DEDUP_DUPLICATES.meterName()).counter().count()).isEqualTo(1);
  }

  private void start(
      String topic,
      String dlt,
      DedupStore store,
      boolean refuse,
      FaultInjection faults,
      SimpleMeterRegistry meters) {
    IdempotentConsumer consumer =
        IdempotentConsumer.builder(
                Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrap(),
                    ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                    5000))
            .groupId("redrive-group")
            .createTopics(true)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.topicPartitionOffset())
            .store(store)
            .lease(LEASE)
            .deadLetterTopic(dlt)
            .faults(faults)
            .meterRegistry(meters)
            .handler(
                r -> {
                  if (refuse) {
                    throw new NonRetriableException("refused by this instance");
                  }
                  HttpResponse<String> response =
                      http.send(
                          HttpRequest.newBuilder(service.effectsUri())
                              .POST(HttpRequest.BodyPublishers.ofString(r.value()))
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  assertThat(response.statusCode()).isEqualTo(200);
                })
            .build()
            .start();
    consumers.add(consumer);
  }

  private static String bootstrap() {
    return KAFKA.broker().bootstrapServers();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void send(String topic, ProducerRecord<byte[], byte[]> record) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(record).get();
    } catch (Exception e) {
      throw new IllegalStateException("cannot write to " + topic, e);
    }
  }
}
