package dev.exactly.testkit.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.DeadLetterHeaders;
import dev.exactly.DeadLetterReason;
import dev.exactly.FaultPoint;
import dev.exactly.NonRetriableException;
import dev.exactly.RetryPolicy;
import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.dedup.StoredResult;
import dev.exactly.internal.Metric;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.TopicWriter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the idempotent consumer shares with every Exactly component, on a real broker: the
 * dead-letter headers, the meter catalogue, the lifecycle, the failure classification and the fault
 * points.
 */
class IdempotentConsumerContractTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final Duration WAIT = Duration.ofSeconds(90);

  /** A value this deserializer cannot read. */
  private static final String GARBAGE = "garbage";

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<IdempotentConsumer> consumers = new ArrayList<>();

  @AfterEach
  void stop() {
    consumers.forEach(c -> c.close(Duration.ofSeconds(30)));
  }

  private static String unique(String prefix) {
    return prefix + "-" + NAMES.incrementAndGet();
  }

  private static Map<String, Object> props() {
    return Map.of("bootstrap.servers", KAFKA.broker().bootstrapServers(), "max.poll.records", 50);
  }

  /** Reads strings, but throws as a real deserializer would on {@link #GARBAGE}. */
  private static Deserializer<String> strictStrings() {
    return (topic, data) -> {
      String s = new String(data, StandardCharsets.UTF_8);
      if (s.equals(GARBAGE)) {
        throw new SerializationException("cannot read '" + s + "'");
      }
      return s;
    };
  }

  /** Sends key/value pairs, each with a header {@code x-trace: <key>}. */
  private static void send(String topic, String... keyValues) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (int i = 0; i < keyValues.length; i += 2) {
        ProducerRecord<String, String> r =
            new ProducerRecord<>(topic, keyValues[i], keyValues[i + 1]);
        r.headers().add("x-trace", keyValues[i].getBytes(StandardCharsets.UTF_8));
        records.add(r);
      }
      TopicWriter.sendAll(producer, records);
    }
  }

  private IdempotentConsumer.Builder<String, String> consumer(String topic, String group) {
    return IdempotentConsumer.builder(props())
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .groupId(group)
        .input(topic, new StringDeserializer(), strictStrings())
        .dedupKey(DedupKey.recordKey())
        .store(InMemoryDedupStore.create(1000))
        .deadLetterTopic(topic + ".dlt")
        .meterRegistry(meters);
  }

  private IdempotentConsumer started(IdempotentConsumer.Builder<String, String> b) {
    IdempotentConsumer c = b.build();
    consumers.add(c);
    return c.start();
  }

  private static List<ConsumerRecord<byte[], byte[]>> awaitRecords(String topic, int n) {
    return await()
        .atMost(WAIT)
        .until(
            () -> TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic),
            l -> l.size() >= n);
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Every header a dead letter carries whose name starts with {@code exactly.}, with its value. */
  private static Map<String, String> exactlyHeaders(ConsumerRecord<byte[], byte[]> r) {
    Map<String, String> out = new TreeMap<>();
    for (Header h : r.headers()) {
      if (h.key().startsWith("exactly.")) {
        assertThat(out.put(h.key(), new String(h.value(), StandardCharsets.UTF_8)))
            .as("header %s appears once", h.key())
            .isNull();
      }
    }
    return out;
  }

  /** Every header name {@link DeadLetterHeaders} declares. */
  private static Set<String> declaredHeaders() throws IllegalAccessException {
    Set<String> names = new java.util.TreeSet<>();
    for (Field f : DeadLetterHeaders.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        names.add((String) f.get(null));
      }
    }
    return names;
  }

  @Test
  void everyDeadLetterCarriesEveryHeaderWithItsValueForEachReason() throws Exception {
    String topic = unique("dlt-contract");
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(topic + ".dlt", 1);
    send(topic, "k0", GARBAGE, "k1", "declined", "k2", "flaky", "k3", "fine");
    List<String> done = new CopyOnWriteArrayList<>();
    started(
        consumer(topic, unique("g"))
            .retry(RetryPolicy.fixed(2, Duration.ofMillis(10)))
            .handler(
                r -> {
                  switch (r.value()) {
                    case "declined" -> throw new NonRetriableException("card declined");
                    case "flaky" -> throw new IllegalStateException("gateway timeout");
                    default -> done.add(r.key());
                  }
                }));
    List<ConsumerRecord<byte[], byte[]>> dead = awaitRecords(topic + ".dlt", 3);
    await().atMost(WAIT).until(() -> done.contains("k3"));
    Map<Long, ConsumerRecord<byte[], byte[]>> inputs =
        TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic).stream()
            .collect(Collectors.toMap(ConsumerRecord::offset, r -> r));
    assertThat(dead).hasSize(3);

    Object[][] expected = {
      {
        0L,
        DeadLetterReason.DESERIALIZATION,
        SerializationException.class,
        "cannot read 'garbage'",
        1
      },
      {1L, DeadLetterReason.NON_RETRIABLE, NonRetriableException.class, "card declined", 1},
      {2L, DeadLetterReason.RETRIES_EXHAUSTED, IllegalStateException.class, "gateway timeout", 2},
    };
    Set<String> recordHeaders = new java.util.TreeSet<>(declaredHeaders());
    recordHeaders.remove(DeadLetterHeaders.OUTBOX_ID);
    recordHeaders.remove(DeadLetterHeaders.DESTINATION_TOPIC);
    for (int i = 0; i < expected.length; i++) {
      long offset = (Long) expected[i][0];
      ConsumerRecord<byte[], byte[]> original = inputs.get(offset);
      Map<String, String> want = new HashMap<>();
      want.put(DeadLetterHeaders.TOPIC, topic);
      want.put(DeadLetterHeaders.PARTITION, "0");
      want.put(DeadLetterHeaders.OFFSET, Long.toString(offset));
      want.put(DeadLetterHeaders.TIMESTAMP, Long.toString(original.timestamp()));
      want.put(DeadLetterHeaders.REASON, ((DeadLetterReason) expected[i][1]).code());
      want.put(DeadLetterHeaders.EXCEPTION_CLASS, ((Class<?>) expected[i][2]).getName());
      want.put(DeadLetterHeaders.EXCEPTION_MESSAGE, (String) expected[i][3]);
      want.put(DeadLetterHeaders.ATTEMPTS, expected[i][4].toString());
      assertThat(want.keySet())
          .as("a consumed record's dead letter has every header but the outbox's")
          .isEqualTo(recordHeaders);

      ConsumerRecord<byte[], byte[]> d = dead.get(i);
      assertThat(exactlyHeaders(d)).as("dead letter %d", i).isEqualTo(new TreeMap<>(want));
      assertThat(d.key()).isEqualTo(original.key());
      assertThat(d.value()).isEqualTo(original.value());
      assertThat(header(d, "x-trace")).as("the original's own headers are kept").isEqualTo("k" + i);
    }
    assertThat(meters.find("exactly.dead.letters").counter().count()).isEqualTo(3.0);
  }

  /**
   * Rewrites every consumed record as one without a timestamp (a message format v0 record), which a
   * current broker no longer stores but a consumer may still hand over.
   */
  public static final class NoTimestampInterceptor implements ConsumerInterceptor<byte[], byte[]> {
    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
      Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> out = new HashMap<>();
      for (TopicPartition tp : records.partitions()) {
        List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
          list.add(
              new ConsumerRecord<>(
                  r.topic(),
                  r.partition(),
                  r.offset(),
                  ConsumerRecord.NO_TIMESTAMP,
                  TimestampType.NO_TIMESTAMP_TYPE,
                  r.serializedKeySize(),
                  r.serializedValueSize(),
                  r.key(),
                  r.value(),
                  r.headers(),
                  r.leaderEpoch()));
        }
        out.put(tp, list);
      }
      return new ConsumerRecords<>(out, records.nextOffsets());
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
  }

  @Test
  void anUndeserializableRecordWithoutTimestampIsDeadLetteredAfterOneAttemptWithItsTimestamp() {
    String topic = unique("no-ts");
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(topic + ".dlt", 1);
    send(topic, "k0", GARBAGE);
    Map<String, Object> props = new HashMap<>(props());
    props.put(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, NoTimestampInterceptor.class.getName());
    started(
        IdempotentConsumer.builder(props)
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(unique("g"))
            .input(topic, new StringDeserializer(), strictStrings())
            .store(InMemoryDedupStore.create(10))
            .meterRegistry(meters)
            .handler(r -> {}));
    ConsumerRecord<byte[], byte[]> dead = awaitRecords(topic + ".dlt", 1).get(0);
    assertThat(header(dead, DeadLetterHeaders.REASON)).isEqualTo("deserialization");
    assertThat(header(dead, DeadLetterHeaders.ATTEMPTS)).isEqualTo("1");
    assertThat(header(dead, DeadLetterHeaders.TIMESTAMP))
        .isEqualTo(Long.toString(ConsumerRecord.NO_TIMESTAMP));
  }

  /** Thrown by a user's code for a bad request; configured as non-retriable. */
  static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }

  @Test
  void nonRetriableFailuresAnywhereInTheCauseChainAreDeadLetteredAtOnce() {
    String topic = unique("classify");
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(topic + ".dlt", 1);
    send(topic, "wrapped", "a", "serialization", "b", "configured", "c", "transient", "d");
    Map<String, Integer> attempts = new ConcurrentHashMap<>();
    started(
        consumer(topic, unique("g"))
            .retry(RetryPolicy.fixed(3, Duration.ofMillis(10)))
            .nonRetriable(BadRequest.class)
            .handler(
                r -> {
                  attempts.merge(r.key(), 1, Integer::sum);
                  throw switch (r.key()) {
                    case "wrapped" ->
                        new RuntimeException("call failed", new NonRetriableException("declined"));
                    case "serialization" -> new SerializationException("response unreadable");
                    case "configured" ->
                        new IllegalStateException("wrapped", new BadRequest("no such account"));
                    default -> new IllegalStateException("try again");
                  };
                }));
    List<ConsumerRecord<byte[], byte[]>> dead = awaitRecords(topic + ".dlt", 4);
    Map<String, String> reasons = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> d : dead) {
      reasons.put(
          new String(d.key(), StandardCharsets.UTF_8),
          header(d, DeadLetterHeaders.REASON) + "/" + header(d, DeadLetterHeaders.ATTEMPTS));
    }
    assertThat(reasons)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "wrapped", "non-retriable/1",
                "serialization", "non-retriable/1",
                "configured", "non-retriable/1",
                "transient", "retries-exhausted/3"));
    assertThat(attempts)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("wrapped", 1, "serialization", 1, "configured", 1, "transient", 3));
  }

  @Test
  void aRetryWaitsItsBackoffOnTheTicker() {
    String topic = unique("backoff");
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(topic + ".dlt", 1);
    send(topic, "k", "v");
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    AtomicInteger attempts = new AtomicInteger();
    started(
        consumer(topic, unique("g"))
            .ticker(clock)
            .retry(RetryPolicy.fixed(2, Duration.ofSeconds(10)))
            .handler(
                r -> {
                  attempts.incrementAndGet();
                  throw new IllegalStateException("gateway timeout");
                }));
    await().atMost(WAIT).until(() -> attempts.get() == 1 && clock.sleepers() > 0);
    clock.advance(Duration.ofSeconds(9));
    // the clock stands 1 s short of the backoff: the consumer still waits, whatever the real time
    await().pollDelay(Duration.ofMillis(300)).atMost(WAIT).until(() -> clock.sleepers() > 0);
    assertThat(attempts.get()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(1));
    ConsumerRecord<byte[], byte[]> dead = awaitRecords(topic + ".dlt", 1).get(0);
    assertThat(attempts.get()).isEqualTo(2);
    assertThat(header(dead, DeadLetterHeaders.ATTEMPTS)).isEqualTo("2");
  }

  @Test
  void registersExactlyTheCataloguedMetersWithTheCommonTags() {
    String topic = unique("meters");
    KAFKA.broker().createTopic(topic, 1);
    send(topic, "k", "v");
    String group = unique("g");
    AtomicInteger handled = new AtomicInteger();
    started(consumer(topic, group).instanceId("node-1").handler(r -> handled.incrementAndGet()));
    await().atMost(WAIT).until(() -> handled.get() == 1);

    Set<String> catalogued =
        Metric.of(Metric.C.CONSUMER).stream().map(Metric::meterName).collect(Collectors.toSet());
    Set<String> registered =
        meters.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
    assertThat(registered).isEqualTo(catalogued);
    for (Meter m : meters.getMeters()) {
      assertThat(m.getId().getTag("component")).isEqualTo(Metric.C.CONSUMER);
      assertThat(m.getId().getTag("group")).isEqualTo(group);
      assertThat(m.getId().getTag("instance")).isEqualTo("node-1");
      assertThat(m.getId().getTag("store")).isEqualTo("memory");
    }
    assertThat(meters.find("exactly.records.in").counter().count()).isEqualTo(1.0);
    await().atMost(WAIT).until(() -> meters.find("exactly.dedup.claims").counter().count() == 1.0);
  }

  /**
   * {@code exactly.lag}: with the handler held on the first record of a 50-record poll, the records
   * not yet polled are behind; once the handler is let go and the topic drained, none are.
   */
  @Test
  void lagCountsRecordsNotYetPolledAndFallsToZeroOnceDrained() throws Exception {
    String topic = unique("lag");
    KAFKA.broker().createTopic(topic, 1);
    int n = 200;
    String[] keyValues = new String[2 * n];
    for (int i = 0; i < n; i++) {
      keyValues[2 * i] = "k" + i;
      keyValues[2 * i + 1] = "v" + i;
    }
    send(topic, keyValues);
    String group = unique("g");
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger handled = new AtomicInteger();
    started(
        consumer(topic, group)
            .handler(
                r -> {
                  release.await();
                  handled.incrementAndGet();
                }));
    try {
      await().atMost(WAIT).until(() -> lag(group) > 0);
      // max.poll.records is 50: at least 150 records lie past the poll in hand.
      assertThat(lag(group)).isBetween(150.0, (double) n);
      assertThat(handled).hasValue(0);
    } finally {
      release.countDown();
    }
    await().atMost(WAIT).until(() -> handled.get() == n);
    await().atMost(WAIT).until(() -> lag(group) == 0.0);
    assertThat(
            meters
                .get(Metric.LAG.meterName())
                .tag("group", group)
                .tag("store", "memory")
                .gauge()
                .getId()
                .getTag("component"))
        .isEqualTo(Metric.C.CONSUMER);
  }

  private double lag(String group) {
    Gauge g = meters.find(Metric.LAG.meterName()).tag("group", group).gauge();
    return g == null ? 0 : g.value();
  }

  @Test
  void withoutARegistryNothingGoesToTheGlobalRegistry() {
    String topic = unique("private-meters");
    KAFKA.broker().createTopic(topic, 1);
    send(topic, "k", "v");
    String group = unique("g");
    AtomicInteger handled = new AtomicInteger();
    started(
        IdempotentConsumer.builder(props())
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(group)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .store(InMemoryDedupStore.create(10))
            .handler(r -> handled.incrementAndGet()));
    await().atMost(WAIT).until(() -> handled.get() == 1);
    assertThat(
            Metrics.globalRegistry.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith("exactly."))
                .filter(m -> group.equals(m.getId().getTag("group")))
                .map(m -> m.getId().toString())
                .toList())
        .isEmpty();
  }

  /** Thrown by a handler: a bug no retry can help, which must stop the consumer visibly. */
  static final class HandlerBug extends Error {
    HandlerBug(String message) {
      super(message);
    }
  }

  @Test
  void anErrorFromTheHandlerLeavesTheConsumerFailedWithThatError() throws Exception {
    String topic = unique("fatal-handler");
    KAFKA.broker().createTopic(topic, 1);
    send(topic, "k", "v");
    HandlerBug bug = new HandlerBug("out of invariants");
    IdempotentConsumer c =
        started(
            consumer(topic, unique("g"))
                .handler(
                    r -> {
                      throw bug;
                    }));
    assertThat(c.awaitTermination(WAIT)).isTrue();
    assertThat(c.state()).isEqualTo(ComponentState.FAILED);
    assertThat(c.failure()).containsSame(bug);
    assertThat(c.close(Duration.ofSeconds(5))).isTrue();
    assertThat(c.state()).as("close() keeps the failure visible").isEqualTo(ComponentState.FAILED);
  }

  @Test
  void aStoreFailingOtherwiseThanUnreachableLeavesTheConsumerFailed() throws Exception {
    String topic = unique("fatal-store");
    KAFKA.broker().createTopic(topic, 1);
    send(topic, "k", "v");
    IllegalStateException broken = new IllegalStateException("store bug");
    DedupStore store =
        new DedupStore() {
          @Override
          public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
            throw broken;
          }

          @Override
          public Set<String> complete(
              Collection<Claim.Claimed> claims,
              Duration retention,
              Map<String, StoredResult> results) {
            throw broken;
          }

          @Override
          public Set<String> extend(Collection<Claim.Claimed> claims, Duration lease) {
            throw broken;
          }

          @Override
          public void release(Collection<Claim.Claimed> claims) {
            throw broken;
          }

          @Override
          public int purgeExpired() {
            return 0;
          }

          @Override
          public String name() {
            return "broken";
          }

          @Override
          public void close() {}
        };
    IdempotentConsumer c = started(consumer(topic, unique("g")).store(store).handler(r -> {}));
    assertThat(c.awaitTermination(WAIT)).isTrue();
    assertThat(c.state()).isEqualTo(ComponentState.FAILED);
    assertThat(c.failure()).containsSame(broken);
  }

  @Test
  void runsThroughStartingAndRunningToClosed() throws Exception {
    String topic = unique("lifecycle");
    KAFKA.broker().createTopic(topic, 1);
    IdempotentConsumer c = consumer(topic, unique("g")).handler(r -> {}).build();
    consumers.add(c);
    assertThat(c.state()).isEqualTo(ComponentState.CREATED);
    c.start();
    assertThat(c.state()).isIn(ComponentState.STARTING, ComponentState.RUNNING);
    await().atMost(WAIT).until(() -> c.state() == ComponentState.RUNNING);
    assertThat(c.close(Duration.ofSeconds(30))).isTrue();
    assertThat(c.state()).isEqualTo(ComponentState.CLOSED);
    assertThat(c.failure()).isEmpty();
    assertThat(c.awaitTermination(Duration.ZERO)).isTrue();
  }

  @Test
  void reachesTheFaultPointsOfABatchInOrder() {
    String topic = unique("faults");
    KAFKA.broker().createTopic(topic, 1);
    send(topic, "a", "1", "b", "2");
    List<FaultPoint> reached = new CopyOnWriteArrayList<>();
    started(
        consumer(topic, unique("g"))
            .faults(reached::add)
            .resultHandler(r -> StoredResult.ofUtf8(r.value())));
    await()
        .atMost(WAIT)
        .until(
            () ->
                reached.stream().filter(p -> p == FaultPoint.CONSUMER_AFTER_EFFECT).count() == 2
                    && reached.get(reached.size() - 1) == FaultPoint.CONSUMER_AFTER_COMMIT);
    List<FaultPoint> distinct = reached.stream().distinct().toList();
    assertThat(distinct)
        .containsExactly(
            FaultPoint.CONSUMER_AFTER_EFFECT,
            FaultPoint.CONSUMER_AFTER_COMPLETE,
            FaultPoint.CONSUMER_AFTER_COMMIT);
  }
}
