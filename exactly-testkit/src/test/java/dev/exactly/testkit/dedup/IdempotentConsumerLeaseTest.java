package dev.exactly.testkit.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.TopicWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One claim covers a whole poll batch, and handlers run one after another: a slow batch must not
 * run its last effects on a lease that has run out, while another caller can claim the same key.
 * The lease renewer keeps the batch's leases; a record whose lease it has not renewed in half a
 * lease waits for a fresh claim.
 */
class IdempotentConsumerLeaseTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Duration LEASE = Duration.ofSeconds(10);
  private static final AtomicInteger NAMES = new AtomicInteger();

  private final List<IdempotentConsumer> consumers = new ArrayList<>();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @AfterEach
  void stop() {
    consumers.forEach(c -> c.close(Duration.ofSeconds(30)));
  }

  @Test
  void noHandlerStartsOnALeaseAnotherCallerCouldTakeOver() {
    String topic = "lease-" + NAMES.incrementAndGet();
    KAFKA.broker().createTopic(topic, 1);
    int records = 12;
    send(topic, records);
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    DedupStore store = InMemoryDedupStore.create(1000, clock);
    Map<String, Integer> effects = new ConcurrentHashMap<>();
    List<String> startedWithoutLease = new CopyOnWriteArrayList<>();
    String group = "lease-group-" + NAMES.get();
    IdempotentConsumer consumer =
        IdempotentConsumer.builder(props())
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(group)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.recordKey())
            .store(store)
            .lease(LEASE)
            .ticker(clock)
            .meterRegistry(meters)
            .handler(
                r -> {
                  // Another instance tries the same key as the effect starts: it must be refused.
                  String key = group + ":" + r.key(); // the namespace is the group by default
                  Claim probe = store.claim(List.of(key), LEASE).get(key);
                  if (probe instanceof Claim.Claimed stolen) {
                    startedWithoutLease.add(r.key());
                    store.release(List.of(stolen));
                  }
                  effects.merge(r.key(), 1, Integer::sum);
                  clock.advance(Duration.ofSeconds(3)); // a slow effect
                })
            .build();
    consumers.add(consumer);
    consumer.start();

    await().atMost(WAIT).until(() -> effects.size() == records);
    assertThat(startedWithoutLease).as("effects started on a lapsed lease").isEmpty();
    assertThat(effects.values()).as("effects per key").containsOnly(1);
    // The batch outlasts its first lease several times over: renewals (or, when one lags behind
    // the fake clock, a fresh claim of the rest) kept every key this instance's.
    assertThat(meters.get("exactly.dedup.leases.lost").counter().count())
        .as("leases lost")
        .isZero();
  }

  private static Map<String, Object> props() {
    return Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
        KAFKA.broker().bootstrapServers(),
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
        100);
  }

  private static void send(String topic, int count) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<ProducerRecord<String, String>> batch = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        batch.add(new ProducerRecord<>(topic, "key-" + i, "value-" + i));
      }
      TopicWriter.sendAll(producer, batch);
    }
  }
}
