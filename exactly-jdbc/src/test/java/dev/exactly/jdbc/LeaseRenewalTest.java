package dev.exactly.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.TopicWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A handler three times slower than the lease, with two instances of one group on a real broker and
 * a PostgreSQL dedup store: the instance running it renews its lease, so the other, which polls a
 * duplicate of the same key from its own partition, waits instead of taking the key over.
 */
class LeaseRenewalTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration LEASE = Duration.ofSeconds(2);
  private static final Duration SLOW = Duration.ofSeconds(6);
  private static final AtomicInteger RUNS = new AtomicInteger();

  private final String run = "r" + ProcessHandle.current().pid() + "x" + RUNS.incrementAndGet();
  private final String topic = "lease-renewal-" + run;
  private final String group = "lease-renewal-g-" + run;
  private final List<IdempotentConsumer> consumers = new ArrayList<>();
  private final List<HikariDataSource> pools = new ArrayList<>();

  @BeforeAll
  static void database() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @AfterEach
  void stop() {
    consumers.forEach(c -> c.close(Duration.ofSeconds(30)));
    pools.forEach(HikariDataSource::close);
  }

  @Test
  void aHandlerSlowerThanTheLeaseRunsOnceAndKeepsItsKey() throws Exception {
    KAFKA.broker().createTopic(topic, 2);
    Map<String, List<String>> runs = new ConcurrentHashMap<>();
    List<String> duplicates = new CopyOnWriteArrayList<>();
    SimpleMeterRegistry metersA = new SimpleMeterRegistry();
    SimpleMeterRegistry metersB = new SimpleMeterRegistry();
    consumers.add(start("a", runs, duplicates, metersA));
    consumers.add(start("b", runs, duplicates, metersB));
    awaitOnePartitionEach();

    // The same key on both partitions: each instance claims it at about the same time.
    send(
        List.of(
            new ProducerRecord<>(topic, 0, "slow", "p0"),
            new ProducerRecord<>(topic, 1, "slow", "p1")));

    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> runs.getOrDefault("slow", List.of()).size() + duplicates.size() >= 2);
    // The loser waited out three leases and more; a takeover would have run the key again.
    assertThat(runs.get("slow")).as("instances that ran the slow key").hasSize(1);
    assertThat(duplicates).as("the other instance found it done").containsExactly("slow");
    assertThat(
            count(metersA, "exactly.dedup.inflight.waits")
                + count(metersB, "exactly.dedup.inflight.waits"))
        .as("the other instance waited on the live, renewed lease")
        .isGreaterThanOrEqualTo(2);
    assertThat(
            count(metersA, "exactly.dedup.leases.lost")
                + count(metersB, "exactly.dedup.leases.lost"))
        .as("leases lost")
        .isZero();
  }

  private IdempotentConsumer start(
      String instance,
      Map<String, List<String>> runs,
      List<String> duplicates,
      SimpleMeterRegistry meters) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(ExternalService.POSTGRESQL.url());
    hc.setMaximumPoolSize(3);
    HikariDataSource ds = new HikariDataSource(hc);
    pools.add(ds);
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", KAFKA.broker().bootstrapServers());
    return IdempotentConsumer.builder(props)
        .createTopics(true)
        .groupId(group)
        .instanceId(instance)
        .input(topic, new StringDeserializer(), new StringDeserializer())
        .dedupKey(DedupKey.recordKey())
        .store(JdbcDedupStore.builder(ds).table("dedup_lease_" + run).build())
        .lease(LEASE)
        .meterRegistry(meters)
        .onDuplicate((r, result) -> duplicates.add(r.record().key()))
        .handler(
            r -> {
              runs.computeIfAbsent(r.record().key(), k -> new CopyOnWriteArrayList<>())
                  .add(instance);
              if (r.record().key().equals("slow")) {
                Thread.sleep(SLOW.toMillis());
              }
            })
        .build()
        .start();
  }

  /** Waits until the group has split the two partitions between its two members. */
  private void awaitOnePartitionEach() {
    try (Admin admin =
        Admin.create(Map.of("bootstrap.servers", KAFKA.broker().bootstrapServers()))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                ConsumerGroupDescription d =
                    admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                return d.members().size() == 2
                    && d.members().stream()
                        .map(MemberDescription::assignment)
                        .allMatch(a -> a.topicPartitions().size() == 1);
              });
    }
  }

  private void send(List<ProducerRecord<String, String>> records) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      TopicWriter.sendAll(producer, records);
    }
  }

  private static double count(SimpleMeterRegistry meters, String name) {
    return meters.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
  }
}
