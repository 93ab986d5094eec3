package dev.exactly.testkit.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactly.ConfigurationException;
import dev.exactly.Ordering;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotencyKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.IdempotentRecord;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.testkit.CountingHttpServer;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicWriter;
import dev.exactly.testkit.check.Effect;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code concurrency(n)} on a real broker against a real loopback HTTP service: keys run at once,
 * one key's effects keep their order, and a hung key holds back only its partition's commit.
 */
class IdempotentConsumerConcurrencyTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static String unique(String prefix) {
    return prefix + "-" + NAMES.incrementAndGet();
  }

  /** Kafka key {@code k<n>}, header x-id {@code k<n>:<seq>}: every record is its own effect. */
  private static void send(String topic, int keys, int perKey) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (int seq = 0; seq < perKey; seq++) {
        for (int k = 0; k < keys; k++) {
          String id = "k" + k + ":" + seq;
          ProducerRecord<String, String> r = new ProducerRecord<>(topic, "k" + k, id);
          r.headers().add("x-id", id.getBytes(StandardCharsets.UTF_8));
          records.add(r);
        }
      }
      TopicWriter.sendAll(producer, records);
    }
  }

  private static void post(CountingHttpServer server, IdempotentRecord<String, String> r)
      throws Exception {
    HttpRequest request =
        IdempotencyKey.relay(HttpRequest.newBuilder(server.effectsUri()), r)
            .POST(HttpRequest.BodyPublishers.ofString(r.record().value()))
            .build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("effect refused: " + response.statusCode());
    }
  }

  private static IdempotentConsumer.Builder<String, String> consumer(
      String topic, int concurrency, int maxPollRecords) {
    return IdempotentConsumer.builder(
            Map.<String, Object>of(
                "bootstrap.servers",
                KAFKA.broker().bootstrapServers(),
                "max.poll.records",
                maxPollRecords))
        .createTopics(true)
        .groupId(unique("g"))
        .input(topic, new StringDeserializer(), new StringDeserializer())
        .dedupKey(DedupKey.header("x-id"))
        .store(InMemoryDedupStore.create(100_000))
        .concurrency(concurrency)
        .ordering(Ordering.KEY);
  }

  /** Each key's sequence numbers in the order their effects arrived. */
  private static Map<String, List<Integer>> orderByKey(List<Effect> effects) {
    return effects.stream()
        .map(e -> e.inputId().split(":"))
        .collect(
            Collectors.groupingBy(
                id -> id[0],
                Collectors.mapping(id -> Integer.parseInt(id[1]), Collectors.toList())));
  }

  @Test
  void aBadConcurrencyFailsTheBuildNamingTheSetting() {
    assertThatThrownBy(() -> consumer("t", 0, 10).handler(r -> {}).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("dedup.concurrency")
        .hasMessageContaining("0");
  }

  @Test
  void keysRunAtOnceEachKeysEffectsOnceAndInInputOrder() throws Exception {
    String topic = unique("conc-in");
    KAFKA.broker().createTopic(topic, 3);
    int keys = 100;
    int perKey = 5;
    send(topic, keys, perKey);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.HONOUR_KEY);
        IdempotentConsumer c =
            consumer(topic, 32, 500)
                .handler(
                    r -> {
                      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                      try {
                        Thread.sleep(20);
                        post(server, r);
                      } finally {
                        running.decrementAndGet();
                      }
                    })
                .build()
                .start()) {
      await().atMost(WAIT).until(() -> server.effects().size() >= keys * perKey);
      Thread.sleep(500); // a repeat would arrive now
      assertThat(c.failure()).isEmpty();
      Map<String, Integer> counts = server.effectCounts();
      assertThat(counts).hasSize(keys * perKey);
      assertThat(counts.values()).containsOnly(1);
      Map<String, List<Integer>> order = orderByKey(server.effects());
      assertThat(order).hasSize(keys);
      order.forEach((k, seqs) -> assertThat(seqs).as(k).containsExactly(0, 1, 2, 3, 4));
      assertThat(maxRunning.get()).isGreaterThan(1);
    }
  }

  @Test
  void aHungKeyHoldsBackOnlyItsPartitionsCommitAndRunsOnceAfterRelease() throws Exception {
    String topic = unique("hang-in");
    KAFKA.broker().createTopic(topic, 1);
    send(topic, 20, 3); // 60 records; k3:0 at offset 3
    CountDownLatch release = new CountDownLatch(1);
    String group;
    TopicPartition tp = new TopicPartition(topic, 0);
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.HONOUR_KEY);
        Admin admin =
            Admin.create(
                Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    KAFKA.broker().bootstrapServers()))) {
      IdempotentConsumer.Builder<String, String> b = consumer(topic, 8, 500);
      group = unique("hang-g");
      b.groupId(group);
      try (IdempotentConsumer c =
          b.handler(
                  r -> {
                    if (r.record().value().equals("k3:0")) {
                      release.await();
                    }
                    post(server, r);
                  })
              .build()
              .start()) {
        // Every other key's first record, and every record of the keys after k3's, flows.
        await().atMost(WAIT).until(() -> server.effects().size() >= 57);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        long committed = -1;
        while (System.nanoTime() < deadline) {
          committed = committed(admin, group, tp);
          assertThat(committed).as("committed offset while k3:0 hangs").isLessThanOrEqualTo(3);
          Thread.sleep(100);
        }
        assertThat(committed).isEqualTo(3); // offsets 0..2 done and committed, not beyond
        assertThat(server.effectCounts()).doesNotContainKey("k3:0");
        release.countDown();
        await().atMost(WAIT).until(() -> committed(admin, group, tp) == 60);
        assertThat(c.failure()).isEmpty();
      }
      Map<String, Integer> counts = server.effectCounts();
      assertThat(counts).hasSize(60);
      assertThat(counts.values()).containsOnly(1);
      orderByKey(server.effects())
          .forEach((k, seqs) -> assertThat(seqs).as(k).containsExactly(0, 1, 2));
    }
  }

  /**
   * One key's handler hangs while the topic holds ten polls' worth of records: the consumer keeps
   * polling, every other key's records take effect, the committed offset stops at the hung record,
   * and the member outlives max.poll.interval.ms (it is not evicted: no rebalance, no repeats).
   */
  @Test
  void aHungKeyDoesNotHoldThePollOtherKeysFlowPastIt() throws Exception {
    String topic = unique("hang-poll-in");
    KAFKA.broker().createTopic(topic, 1);
    send(topic, 20, 10); // 200 records, 20 a poll; k3:0 at offset 3, k3's others behind it
    CountDownLatch release = new CountDownLatch(1);
    TopicPartition tp = new TopicPartition(topic, 0);
    String group = unique("hang-poll-g");
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY);
        Admin admin =
            Admin.create(
                Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    KAFKA.broker().bootstrapServers()))) {
      IdempotentConsumer.Builder<String, String> b =
          IdempotentConsumer.builder(
                  Map.<String, Object>of(
                      "bootstrap.servers",
                      KAFKA.broker().bootstrapServers(),
                      "max.poll.records",
                      20,
                      "max.poll.interval.ms",
                      4000))
              .createTopics(true)
              .groupId(group)
              .input(topic, new StringDeserializer(), new StringDeserializer())
              .dedupKey(DedupKey.header("x-id"))
              .store(InMemoryDedupStore.create(100_000))
              .concurrency(4)
              .ordering(Ordering.KEY)
              .meterRegistry(meters);
      try (IdempotentConsumer c =
          b.handler(
                  r -> {
                    if (r.record().value().equals("k3:0")) {
                      release.await();
                    }
                    post(server, r);
                  })
              .build()
              .start()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> server.effects().size() >= 190);
        assertThat(server.effectCounts()).doesNotContainKeys("k3:0", "k3:1", "k3:9");
        // Past max.poll.interval.ms with the handler still hung: a member that stopped polling
        // would be evicted now and its records run again by the next assignment.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
        while (System.nanoTime() < deadline) {
          assertThat(committed(admin, group, tp))
              .as("committed offset while k3:0 hangs")
              .isLessThanOrEqualTo(3);
          Thread.sleep(200);
        }
        assertThat(committed(admin, group, tp)).isEqualTo(3);
        assertThat(server.effects()).hasSize(190);
        // The partition's watermark waits at offset 3 with all 200 records polled.
        assertThat(watermarkLag(meters, topic)).isEqualTo(197.0);
        assertThat(meters.get("exactly.dedup.worker.wait").timer().count()).isPositive();
        release.countDown();
        await().atMost(WAIT).until(() -> committed(admin, group, tp) == 200);
        await().atMost(WAIT).until(() -> watermarkLag(meters, topic) == 0.0);
        assertThat(c.failure()).isEmpty();
      }
      Map<String, Integer> counts = server.effectCounts();
      assertThat(counts).hasSize(200);
      assertThat(counts.values()).containsOnly(1);
      orderByKey(server.effects())
          .forEach(
              (k, seqs) -> assertThat(seqs).as(k).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    }
  }

  /**
   * A hung key whose later records keep arriving: the records queued behind it reach the bound (two
   * polls of 20), the consumer pauses the partition instead of fetching more, and the other key
   * stops with it; released, everything runs once and in order.
   */
  @Test
  void recordsQueuedBehindAHungKeyAreBoundedByPausingThePartition() throws Exception {
    String topic = unique("hang-bound-in");
    KAFKA.broker().createTopic(topic, 1);
    send(topic, 2, 100); // k0:0, k1:0, k0:1, k1:1, ...
    CountDownLatch release = new CountDownLatch(1);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY);
        IdempotentConsumer c =
            consumer(topic, 4, 20)
                .meterRegistry(meters)
                .handler(
                    r -> {
                      if (r.record().value().equals("k0:0")) {
                        release.await();
                      }
                      post(server, r);
                    })
                .build()
                .start()) {
      await().atMost(WAIT).until(() -> server.effects().size() >= 19);
      int before;
      int after = server.effects().size();
      do { // until no effect arrives for a second: the partition is paused
        before = after;
        Thread.sleep(1000);
        after = server.effects().size();
      } while (after != before);
      assertThat(after).as("k1's effects before the pause").isLessThan(100);
      // Polled: at most the bound (40 unfinished) plus one poll of k0's records, and as many of
      // k1's between them; never the whole topic.
      assertThat(watermarkLag(meters, topic)).isLessThanOrEqualTo(2 * (40 + 20)).isPositive();
      release.countDown();
      await().atMost(WAIT).until(() -> server.effects().size() >= 200);
      Thread.sleep(300); // a repeat would arrive now
      assertThat(c.failure()).isEmpty();
      Map<String, Integer> counts = server.effectCounts();
      assertThat(counts).hasSize(200);
      assertThat(counts.values()).containsOnly(1);
      List<Integer> inOrder = java.util.stream.IntStream.range(0, 100).boxed().toList();
      orderByKey(server.effects()).forEach((k, seqs) -> assertThat(seqs).as(k).isEqualTo(inOrder));
    }
  }

  private static double watermarkLag(SimpleMeterRegistry meters, String topic) {
    return meters
        .get("exactly.dedup.watermark.lag")
        .tag("topic", topic)
        .tag("partition", "0")
        .gauge()
        .value();
  }

  private static long committed(Admin admin, String group, TopicPartition tp) throws Exception {
    OffsetAndMetadata o =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS)
            .get(tp);
    return o == null ? -1 : o.offset();
  }
}
