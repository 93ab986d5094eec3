package dev.exactly.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.StoredResult;
import dev.exactly.testkit.CountingHttpServer;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.TopicWriter;
import dev.exactly.testkit.check.CheckReport;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.HttpEffects;
import dev.exactly.testkit.check.Input;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rebalance that really redelivers: instance A stalls in its handler mid-batch for longer than
 * its {@code max.poll.interval.ms}, so the group throws it out and instance B takes its partitions
 * and polls them from the last committed offset, while A still finishes (and completes) the batch
 * whose offsets it can no longer commit. Every record of that batch reaches B a second time. The
 * producer sends each input once, so every skipped duplicate is a redelivery by Kafka.
 *
 * <p>The downstream ignores the Idempotency-Key and counts every run. With the Redis store each
 * input takes effect once; with a store that claims everything (the negative control) the same
 * scenario must show duplicated effects, which proves the scenario redelivers and the checker sees
 * it.
 */
class RedeliveryRebalanceTest {
  private static final Logger log = LoggerFactory.getLogger(RedeliveryRebalanceTest.class);

  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final int RECORDS = 400;
  private static final int PARTITIONS = 4;

  /** A stalls after running this many effects: both instances are busy by then. */
  private static final int STALL_AFTER = 30;

  private static final Duration STALL = Duration.ofSeconds(5);
  private static final Duration A_MAX_POLL_INTERVAL = Duration.ofSeconds(2);

  /** Longer than the stall, so B waits for A's claims instead of taking them over. */
  private static final Duration LEASE = Duration.ofSeconds(10);

  @BeforeAll
  static void server() {
    ExternalService.REDIS.assumeAvailable();
  }

  @Test
  void aRedeliveredBatchTakesEffectOnceWithTheRedisStore() throws Exception {
    String run = "rd" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    try (RedisDedupStore store =
        RedisDedupStore.builder(ExternalService.REDIS.url()).keyPrefix(run + ":").build()) {
      Outcome outcome = scenario(run, store);
      assertThat(outcome.stalled).as("instance A stalled past its poll interval").isTrue();
      assertThat(outcome.duplicatesSkipped)
          .as("records redelivered by the rebalance and skipped as done")
          .isGreaterThan(0);
      outcome.report.assertExactlyOnce();
    }
  }

  @Test
  void negativeControlAStoreThatClaimsEverythingRepeatsTheRedeliveredEffects() throws Exception {
    String run = "rdneg" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    Outcome outcome = scenario(run, new ClaimsEverything());
    assertThat(outcome.stalled).isTrue();
    assertThat(outcome.report.isExactlyOnce()).as(outcome.report.summary()).isFalse();
    assertThat(outcome.report.duplicated()).as(outcome.report.summary()).isNotEmpty();
    assertThat(outcome.report.lost()).isEmpty();
  }

  private record Outcome(
      CheckReport report, boolean stalled, double duplicatesSkipped, double inFlightWaits) {}

  private static Outcome scenario(String run, DedupStore store) throws Exception {
    String topic = run + "-in";
    KAFKA.broker().createTopic(topic, PARTITIONS);
    List<Input> inputs = new ArrayList<>();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (int i = 0; i < RECORDS; i++) {
        String id = "id-" + i;
        inputs.add(new Input(id, id, 0));
        records.add(new ProducerRecord<>(topic, id, id));
      }
      TopicWriter.sendAll(producer, records);
    }
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    HttpClient http = HttpClient.newHttpClient();
    AtomicInteger effectsOfA = new AtomicInteger();
    AtomicBoolean stalled = new AtomicBoolean();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY)) {
      java.util.function.Function<String, IdempotentConsumer.Handler<String, String>> post =
          who ->
              r -> {
                HttpResponse<String> response =
                    http.send(
                        HttpRequest.newBuilder(server.effectsUri())
                            .header(CountingHttpServer.ATTEMPT_HEADER, who)
                            .POST(HttpRequest.BodyPublishers.ofString(r.value()))
                            .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                  throw new IllegalStateException("HTTP " + response.statusCode());
                }
                // pace the run so that both instances hold partitions when A stalls
                Thread.sleep(5);
              };
      IdempotentConsumer a =
          consumer(
              run,
              "a",
              topic,
              store,
              meters,
              Map.of("max.poll.interval.ms", (int) A_MAX_POLL_INTERVAL.toMillis()),
              r -> {
                post.apply("a").handle(r);
                if (effectsOfA.incrementAndGet() >= STALL_AFTER
                    && stalled.compareAndSet(false, true)) {
                  // the effect ran; its batch stays uncompleted and uncommitted past the interval
                  log.info("instance A stalls after the effect of {}", r.value());
                  Thread.sleep(STALL.toMillis());
                }
              });
      IdempotentConsumer b = consumer(run, "b", topic, store, meters, Map.of(), post.apply("b"));
      try {
        await()
            .atMost(Duration.ofSeconds(120))
            .until(() -> stalled.get() && allCommitted(run, topic));
      } finally {
        a.close(Duration.ofSeconds(30));
        b.close(Duration.ofSeconds(30));
      }
      CheckReport report = new ExactlyOnceChecker(inputs).check(new HttpEffects(server));
      double skipped = count(meters, "exactly.dedup.duplicates.skipped");
      double waits = count(meters, "exactly.dedup.inflight.waits");
      log.info(
          "store {}: requests {}, duplicates skipped {}, in-flight waits {}\n{}",
          store.name(),
          server.requests(),
          skipped,
          waits,
          report.summary());
      return new Outcome(report, stalled.get(), skipped, waits);
    }
  }

  private static IdempotentConsumer consumer(
      String run,
      String name,
      String topic,
      DedupStore store,
      SimpleMeterRegistry meters,
      Map<String, Object> extra,
      IdempotentConsumer.Handler<String, String> handler) {
    Map<String, Object> props = new HashMap<>(extra);
    props.put("bootstrap.servers", KAFKA.broker().bootstrapServers());
    props.put("max.poll.records", 20);
    props.put("client.id", run + "-" + name);
    return IdempotentConsumer.builder(props)
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .groupId(run)
        .input(topic, new StringDeserializer(), new StringDeserializer())
        .dedupKey(DedupKey.recordKey())
        .store(store)
        .lease(LEASE)
        .meterRegistry(meters)
        .handler(handler)
        .build()
        .start();
  }

  /** True when the group's committed offsets reached the end of every partition. */
  private static boolean allCommitted(String group, String topic) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers()))) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
      for (int i = 0; i < PARTITIONS; i++) {
        latest.put(new TopicPartition(topic, i), OffsetSpec.latest());
      }
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
          admin.listOffsets(latest).all().get();
      for (var e : ends.entrySet()) {
        OffsetAndMetadata c = committed.get(e.getKey());
        if (c == null || c.offset() < e.getValue().offset()) {
          return false;
        }
      }
      return true;
    }
  }

  private static double count(SimpleMeterRegistry meters, String name) {
    return meters.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /** The negative control's store: every key is always claimable, so nothing is deduplicated. */
  private static final class ClaimsEverything implements DedupStore {
    @Override
    public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
      Map<String, Claim> out = new LinkedHashMap<>();
      Instant expiry = Instant.now().plus(lease);
      for (String key : keys) {
        out.putIfAbsent(key, new Claim.Claimed(key, UUID.randomUUID().toString(), expiry));
      }
      return out;
    }

    @Override
    public Set<String> complete(
        Collection<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results) {
      return Set.of();
    }

    @Override
    public Set<String> extend(Collection<Claim.Claimed> claims, Duration lease) {
      Set<String> all = new java.util.HashSet<>();
      claims.forEach(c -> all.add(c.key()));
      return all;
    }

    @Override
    public void release(Collection<Claim.Claimed> claims) {}

    @Override
    public int purgeExpired() {
      return 0;
    }

    @Override
    public String name() {
      return "claims-everything";
    }

    @Override
    public void close() {}
  }
}
