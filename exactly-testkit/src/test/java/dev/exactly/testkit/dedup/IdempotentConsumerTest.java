package dev.exactly.testkit.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.DeadLetterHeaders;
import dev.exactly.NonRetriableException;
import dev.exactly.RetryPolicy;
import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.dedup.IdempotencyKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.dedup.StoredResult;
import dev.exactly.testkit.CountingConsumerInterceptor;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.TopicWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The idempotent consumer's behaviour on a real broker, with the in-memory store. */
class IdempotentConsumerTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final Duration WAIT = Duration.ofSeconds(90);

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private IdempotentConsumer consumer;

  @AfterEach
  void stop() {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(30));
    }
  }

  private static String unique(String prefix) {
    return prefix + "-" + NAMES.incrementAndGet();
  }

  private static Map<String, Object> props() {
    return Map.of("bootstrap.servers", KAFKA.broker().bootstrapServers(), "max.poll.records", 50);
  }

  private static void send(String topic, List<String[]> keyHeaderValue) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (String[] r : keyHeaderValue) {
        ProducerRecord<String, String> rec = new ProducerRecord<>(topic, r[0], r[2]);
        if (r[1] != null) {
          rec.headers().add("x-id", r[1].getBytes(StandardCharsets.UTF_8));
        }
        records.add(rec);
      }
      TopicWriter.sendAll(producer, records);
    }
  }

  private double count(String name) {
    return meters.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
  }

  @Test
  void aKeyDeliveredManyTimesTakesEffectOnceAndDuplicatesAreCounted() {
    String topic = unique("dup-in");
    KAFKA.broker().createTopic(topic, 3);
    List<String[]> records = new java.util.ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String id = "order-" + (i % 40); // 20 ids sent twice
      records.add(new String[] {id, id, "{\"orderId\":\"" + id + "\"}"});
    }
    send(topic, records);
    Map<String, Integer> effects = new ConcurrentHashMap<>();
    InMemoryDedupStore store = InMemoryDedupStore.create(10_000);
    consumer =
        IdempotentConsumer.builder(props())
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(unique("g"))
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.jsonPointer("/orderId"))
            .store(store)
            .meterRegistry(meters)
            .handler(r -> effects.merge(r.key(), 1, Integer::sum))
            .build()
            .start();
    await().atMost(WAIT).until(() -> count("exactly.dedup.duplicates.skipped") >= 20);
    assertThat(effects).hasSize(40);
    assertThat(effects.values()).containsOnly(1);
    assertThat(count("exactly.dedup.claims")).isEqualTo(40);
    assertThat(count("exactly.dedup.duplicates.skipped")).isEqualTo(20);
  }

  @Test
  void theRelayedKeyIsTheBusinessKeyUnlessNamespacingIsAskedFor() {
    String topic = unique("relay-in");
    KAFKA.broker().createTopic(topic, 1);
    List<String[]> one = new ArrayList<>();
    one.add(new String[] {"k", "order-7", "v"});
    send(topic, one);
    for (boolean namespaced : List.of(false, true)) {
      String group = unique("relay-group");
      List<String> relayed = new CopyOnWriteArrayList<>();
      try (IdempotentConsumer c =
          IdempotentConsumer.builder(props())
              .createTopics(true)
              .groupId(group)
              .input(topic, new StringDeserializer(), new StringDeserializer())
              .dedupKey(DedupKey.header("x-id"))
              .namespaceIdempotencyKey(namespaced)
              .store(InMemoryDedupStore.create(10))
              .handler(
                  r -> {
                    HttpRequest.Builder request =
                        IdempotencyKey.relay(HttpRequest.newBuilder(URI.create("http://x/")), r);
                    relayed.add(request.build().headers().firstValue(IdempotencyKey.HEADER).get());
                    assertThat(r.dedupKey()).isEqualTo(group + ":order-7");
                  })
              .build()
              .start()) {
        await().atMost(WAIT).until(() -> relayed.size() == 1);
        assertThat(c.failure()).isEmpty();
      }
      assertThat(relayed).containsExactly(namespaced ? group + ":order-7" : "order-7");
    }
  }

  @Test
  void aDuplicateReadsTheResultTheFirstRunStored() {
    String topic = unique("result-in");
    KAFKA.broker().createTopic(topic, 1);
    send(topic, List.<String[]>of(new String[] {"k", "p1", "a"}, new String[] {"k", "p1", "b"}));
    List<String> replies = new CopyOnWriteArrayList<>();
    consumer =
        IdempotentConsumer.builder(props())
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(unique("g"))
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.header("x-id"))
            .store(InMemoryDedupStore.create(100))
            .meterRegistry(meters)
            .resultHandler(r -> StoredResult.ofUtf8("charged:" + r.value()))
            .onDuplicate(
                (r, result) ->
                    replies.add(r.value() + "->" + result.map(StoredResult::utf8).orElse("?")))
            .build()
            .start();
    await().atMost(WAIT).until(() -> !replies.isEmpty());
    assertThat(replies).containsExactly("b->charged:a");
  }

  @Test
  void aFailingRecordGoesToTheDeadLetterTopicAndDoesNotBlockItsPartition() {
    String topic = unique("poison-in");
    String dlt = topic + "-dead";
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(dlt, 1);
    send(
        topic,
        List.<String[]>of(
            new String[] {"k1", "ok-1", "fine"},
            new String[] {"k2", "bad-1", "poison"},
            new String[] {"k3", null, "no header"},
            new String[] {"k4", "ok-2", "fine"}));
    List<String> done = new CopyOnWriteArrayList<>();
    AtomicInteger attempts = new AtomicInteger();
    InMemoryDedupStore store = InMemoryDedupStore.create(100);
    String group = unique("g");
    consumer =
        IdempotentConsumer.builder(props())
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(group)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.header("x-id"))
            .store(store)
            .deadLetterTopic(dlt)
            .retry(RetryPolicy.fixed(3, Duration.ofMillis(20)))
            .meterRegistry(meters)
            .handler(
                r -> {
                  if (r.value().equals("poison")) {
                    attempts.incrementAndGet();
                    throw new IllegalStateException("gateway said no");
                  }
                  done.add(r.dedupKey());
                })
            .build()
            .start();
    await().atMost(WAIT).until(() -> done.size() == 2);
    assertThat(done).containsExactly(group + ":ok-1", group + ":ok-2");
    assertThat(attempts.get()).isEqualTo(3);
    List<ConsumerRecord<byte[], byte[]>> dead =
        await()
            .atMost(WAIT)
            .until(
                () -> TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), dlt),
                l -> l.size() == 2);
    assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).isEqualTo("retries-exhausted");
    assertThat(header(dead.get(0), DeadLetterHeaders.ATTEMPTS)).isEqualTo("3");
    assertThat(header(dead.get(0), DeadLetterHeaders.EXCEPTION_MESSAGE))
        .isEqualTo("gateway said no");
    assertThat(header(dead.get(0), DeadLetterHeaders.OFFSET)).isEqualTo("1");
    assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("poison");
    assertThat(header(dead.get(1), DeadLetterHeaders.REASON)).isEqualTo("non-retriable");
    assertThat(header(dead.get(1), DeadLetterHeaders.EXCEPTION_MESSAGE)).contains("no header x-id");
    // the poison key was released: a later redelivery may claim it again
    assertThat(store.claim(List.of(group + ":bad-1"), Duration.ofSeconds(5)).get(group + ":bad-1"))
        .isInstanceOf(Claim.Claimed.class);
  }

  @Test
  void aUsersConsumerInterceptorDoesNotStopTheDeadLetterProducer() {
    String topic = unique("intercepted-in");
    String dlt = topic + "-dead";
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(dlt, 1);
    send(
        topic,
        List.<String[]>of(
            new String[] {"k1", null, "no header"}, new String[] {"k2", "ok-1", "fine"}));
    List<String> done = new CopyOnWriteArrayList<>();
    long seenBefore = CountingConsumerInterceptor.seen();
    Map<String, Object> props = new HashMap<>(props());
    props.put(
        ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, CountingConsumerInterceptor.class.getName());
    consumer =
        IdempotentConsumer.builder(props)
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(unique("g"))
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.header("x-id"))
            .store(InMemoryDedupStore.create(100))
            .deadLetterTopic(dlt)
            .meterRegistry(meters)
            .handler(r -> done.add(r.dedupKey()))
            .build()
            .start();

    List<ConsumerRecord<byte[], byte[]>> dead =
        await()
            .atMost(WAIT)
            .until(
                () -> TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), dlt),
                l -> l.size() == 1);
    assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).isEqualTo("non-retriable");
    await().atMost(WAIT).until(() -> done.size() == 1);
    assertThat(CountingConsumerInterceptor.seen()).isGreaterThan(seenBefore);
  }

  @Test
  void aNonRetriableFailureIsNotRetried() {
    String topic = unique("nonretry-in");
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(topic + ".dlt", 1);
    send(topic, List.<String[]>of(new String[] {"k", "id", "v"}));
    AtomicInteger attempts = new AtomicInteger();
    consumer =
        IdempotentConsumer.builder(props())
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(unique("g"))
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .store(InMemoryDedupStore.create(100))
            .meterRegistry(meters)
            .handler(
                r -> {
                  attempts.incrementAndGet();
                  throw new NonRetriableException("card declined");
                })
            .build()
            .start();
    await().atMost(WAIT).until(() -> count("exactly.dead.letters") == 1);
    assertThat(attempts.get()).isEqualTo(1);
  }

  /** A store that fails every call while {@code down}; our own fake of our own interface. */
  static final class SwitchableStore implements DedupStore {
    final DedupStore delegate;
    final AtomicBoolean down = new AtomicBoolean();
    final AtomicInteger failedCalls = new AtomicInteger();

    SwitchableStore(DedupStore delegate) {
      this.delegate = delegate;
    }

    private void check() {
      if (down.get()) {
        failedCalls.incrementAndGet();
        throw new DedupStoreException("test store is down");
      }
    }

    @Override
    public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
      check();
      return delegate.claim(keys, lease);
    }

    @Override
    public Set<String> complete(
        Collection<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results) {
      check();
      return delegate.complete(claims, retention, results);
    }

    @Override
    public Set<String> extend(Collection<Claim.Claimed> claims, Duration lease) {
      check();
      return delegate.extend(claims, lease);
    }

    @Override
    public void release(Collection<Claim.Claimed> claims) {
      check();
      delegate.release(claims);
    }

    @Override
    public int purgeExpired() {
      return delegate.purgeExpired();
    }

    @Override
    public String name() {
      return "switchable";
    }

    @Override
    public void close() {}
  }

  @Test
  void aStoreThatIsDownProcessesNothingUntilItIsBack() {
    String topic = unique("down-in");
    KAFKA.broker().createTopic(topic, 2);
    SwitchableStore store = new SwitchableStore(InMemoryDedupStore.create(1000));
    store.down.set(true);
    List<String> done = new CopyOnWriteArrayList<>();
    // The backoff between claims runs on this clock: each look of the await moves it on a second.
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    consumer =
        IdempotentConsumer.builder(props())
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(unique("g"))
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.recordKey())
            .store(store)
            .meterRegistry(meters)
            .ticker(clock)
            .handler(r -> done.add(r.key()))
            .build()
            .start();
    send(topic, List.<String[]>of(new String[] {"a", null, "1"}, new String[] {"b", null, "2"}));
    await().atMost(WAIT).until(() -> advanced(clock) && store.failedCalls.get() >= 3);
    assertThat(done).isEmpty();
    assertThat(count("exactly.dedup.store.errors")).isGreaterThanOrEqualTo(3);
    store.down.set(false);
    await().atMost(WAIT).until(() -> advanced(clock) && done.size() == 2);
    assertThat(done).containsExactlyInAnyOrder("a", "b");
  }

  private static boolean advanced(FakeClock clock) {
    clock.advance(Duration.ofSeconds(1));
    return true;
  }

  @Test
  void aKeyInFlightElsewhereWaitsForTheLeaseAndRunsOnce() {
    String topic = unique("inflight-in");
    KAFKA.broker().createTopic(topic, 1);
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    InMemoryDedupStore store = InMemoryDedupStore.create(100, clock);
    String group = unique("g");
    // another instance holds the key for 2 s and then dies without completing
    store.claim(List.of(group + ":busy"), Duration.ofSeconds(2));
    send(
        topic,
        List.<String[]>of(new String[] {"busy", null, "1"}, new String[] {"after", null, "2"}));
    List<String> done = new CopyOnWriteArrayList<>();
    consumer =
        IdempotentConsumer.builder(props())
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(group)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.recordKey())
            .store(store)
            .meterRegistry(meters)
            .ticker(clock)
            .handler(r -> done.add(r.key()))
            .build()
            .start();
    await().atMost(WAIT).until(() -> count("exactly.dedup.inflight.waits") >= 1);
    // time stands still: the partition waits for the other holder's lease, whatever comes after
    assertThat(done).isEmpty();
    clock.advance(Duration.ofSeconds(2));
    await().atMost(WAIT).until(() -> done.size() == 2);
    assertThat(done).containsExactly("busy", "after");
  }

  /**
   * The start-up check compares the dedup retention with the topic's {@code retention.ms}; its
   * verdict is the {@code exactly.dedup.retention.short} gauge (besides the log line).
   */
  private double retentionCheck(Duration retention, String topicRetentionMs) {
    String topic = unique("retention-in");
    KAFKA.broker().createTopic(topic, 1, Map.of("retention.ms", topicRetentionMs));
    String group = unique("g");
    consumer =
        IdempotentConsumer.builder(props())
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(group)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .store(InMemoryDedupStore.create(10))
            .retention(retention)
            .meterRegistry(meters)
            .handler(r -> {})
            .build()
            .start();
    await()
        .atMost(WAIT)
        .until(
            () -> {
              var gauge = meters.find("exactly.dedup.retention.short").tag("group", group).gauge();
              return gauge != null && gauge.value() != -1;
            });
    return meters.find("exactly.dedup.retention.short").tag("group", group).gauge().value();
  }

  @Test
  void warnsWhenTheDedupRetentionIsShorterThanTheTopics() {
    // the topic keeps records 2 days, the store remembers keys 1 day: a replay could repeat effects
    assertThat(retentionCheck(Duration.ofDays(1), String.valueOf(Duration.ofDays(2).toMillis())))
        .isEqualTo(1.0);
  }

  @Test
  void warnsWhenTheTopicKeepsRecordsForever() {
    assertThat(retentionCheck(Duration.ofDays(365), "-1")).isEqualTo(1.0);
  }

  @Test
  void doesNotWarnWhenTheDedupRetentionCoversTheTopics() {
    assertThat(retentionCheck(Duration.ofDays(3), String.valueOf(Duration.ofDays(2).toMillis())))
        .isEqualTo(0.0);
  }

  @Test
  void badSettingsFailInBuildNamingKeyValueAndFix() {
    var base =
        IdempotentConsumer.builder(
                Map.of("bootstrap.servers", "127.0.0.1:1", "enable.auto.commit", "true"))
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId("g")
            .input("t", new StringDeserializer(), new StringDeserializer())
            .store(InMemoryDedupStore.create(1))
            .handler(r -> {});
    assertThatThrownBy(base::build)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("enable.auto.commit=true")
        .hasMessageContaining("set false");
    var noStore =
        IdempotentConsumer.builder(Map.of("bootstrap.servers", "127.0.0.1:1"))
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId("g")
            .input("t", new StringDeserializer(), new StringDeserializer())
            .handler(r -> {});
    assertThatThrownBy(noStore::build).hasMessageContaining("dedup.store=null");
    var shortLease =
        IdempotentConsumer.builder(Map.of("bootstrap.servers", "127.0.0.1:1"))
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId("g")
            .input("t", new StringDeserializer(), new StringDeserializer())
            .store(InMemoryDedupStore.create(1))
            .lease(Duration.ofMillis(500))
            .handler(r -> {});
    assertThatThrownBy(shortLease::build)
        .hasMessageContaining("dedup.lease=PT0.5S")
        .hasMessageContaining("set dedup.lease to at least PT1S");
    assertThatThrownBy(() -> DedupKey.jsonPointer("orderId"))
        .hasMessageContaining("starts with '/'");
  }

  @Test
  void lifecycleRefusesIllegalTransitions() {
    IdempotentConsumer c =
        IdempotentConsumer.builder(Map.of("bootstrap.servers", "127.0.0.1:1"))
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId("g")
            .input("t", new StringDeserializer(), new StringDeserializer())
            .store(InMemoryDedupStore.create(1))
            .handler(r -> {})
            .build();
    assertThat(c.state()).isEqualTo(ComponentState.CREATED);
    assertThat(c.close(Duration.ofSeconds(1))).isTrue();
    assertThat(c.state()).isEqualTo(ComponentState.CLOSED);
    assertThatThrownBy(c::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CLOSED");
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return Optional.ofNullable(r.headers().lastHeader(name))
        .map(h -> new String(h.value(), StandardCharsets.UTF_8))
        .orElse(null);
  }
}
