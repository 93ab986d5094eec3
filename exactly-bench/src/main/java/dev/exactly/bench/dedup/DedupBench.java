package dev.exactly.bench.dedup;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.jdbc.JdbcDedupStore;
import dev.exactly.redis.RedisDedupStore;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.ExternalService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Dedup benchmarks, printed as Markdown rows:
 *
 * <ol>
 *   <li>claims per second per store: a batch of 500 keys per call (one round trip per poll of 500)
 *       against one key per call (the {@code max.poll.records=1} approach); each key is claimed and
 *       completed, as the consumer does;
 *   <li>idempotent-consumer throughput with the Redis and PostgreSQL stores against a plain
 *       consumer that commits after each poll and does no dedup, on an in-process broker.
 * </ol>
 *
 * <p>Args: [claims|consumer|all] (default all).
 */
public final class DedupBench {
  private static final int BATCH = 500;
  private static final Duration LEASE = Duration.ofMinutes(5);
  private static final Duration RETENTION = Duration.ofHours(1);

  private DedupBench() {}

  public static void main(String[] args) throws Exception {
    String what = args.length > 0 ? args[0] : "all";
    if (what.equals("claims") || what.equals("all")) {
      claims();
    }
    if (what.equals("consumer") || what.equals("all")) {
      consumer();
    }
    System.exit(0);
  }

  private record Backend(String name, Supplier<DedupStore> open, AutoCloseable resource) {}

  static HikariDataSource pool(String url) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setMaximumPoolSize(2);
    return new HikariDataSource(c);
  }

  private static List<Backend> backends() {
    List<Backend> out = new ArrayList<>();
    out.add(new Backend("memory", () -> InMemoryDedupStore.create(2_000_000), null));
    HikariDataSource h2 = pool("jdbc:h2:mem:bench;DB_CLOSE_DELAY=-1");
    out.add(
        new Backend(
            "H2 (in-process)", () -> JdbcDedupStore.builder(h2).table("bench_dedup").build(), h2));
    if (ExternalService.POSTGRESQL.isReachable()) {
      HikariDataSource pg = pool(ExternalService.POSTGRESQL.url());
      out.add(
          new Backend(
              "PostgreSQL 15", () -> JdbcDedupStore.builder(pg).table("bench_dedup").build(), pg));
    }
    if (ExternalService.MARIADB.isReachable()) {
      HikariDataSource maria = pool(ExternalService.MARIADB.url());
      out.add(
          new Backend(
              "MariaDB 10.11",
              () -> JdbcDedupStore.builder(maria).table("bench_dedup").build(),
              maria));
    }
    if (ExternalService.REDIS.isReachable()) {
      out.add(
          new Backend(
              "Redis",
              () ->
                  RedisDedupStore.builder(ExternalService.REDIS.url()).keyPrefix("bench:").build(),
              null));
    }
    return out;
  }

  private static void claims() throws Exception {
    System.out.println(
        "| store | batched (500 keys per call), keys/s | one key per call, keys/s | ratio |");
    System.out.println("|---|---:|---:|---:|");
    for (Backend b : backends()) {
      try (DedupStore store = b.open().get()) {
        // warm-up: JIT, connections, prepared statement caches
        run(store, 4, BATCH);
        run(store, 200, 1);
        double batched = run(store, 40, BATCH);
        double single = run(store, 4000, 1);
        System.out.printf(
            "| %s | %,.0f | %,.0f | %.1fx |%n", b.name(), batched, single, batched / single);
        store.purgeExpired();
      } finally {
        if (b.resource() != null) {
          b.resource().close();
        }
      }
    }
  }

  /**
   * Claims and completes {@code calls} batches of {@code size} new keys; returns keys per second.
   */
  private static double run(DedupStore store, int calls, int size) {
    String prefix = UUID.randomUUID() + "-";
    long start = System.nanoTime();
    int n = 0;
    for (int c = 0; c < calls; c++) {
      List<String> keys = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        keys.add(prefix + (n++));
      }
      Map<String, Claim> answers = store.claim(keys, LEASE);
      List<Claim.Claimed> claimed = new ArrayList<>();
      answers.values().forEach(a -> claimed.add((Claim.Claimed) a));
      store.complete(claimed, RETENTION, Map.of());
    }
    return n / ((System.nanoTime() - start) / 1e9);
  }

  private static void consumer() throws Exception {
    int records = 10_000;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      System.out.println();
      System.out.println(
          "| consumer ("
              + records
              + " records, 3 partitions, max.poll.records 500, no-op effect) | records/s | vs no dedup |");
      System.out.println("|---|---:|---:|");
      double plain = Double.NaN;
      for (String mode : List.of("no dedup", "no dedup", "Redis store", "PostgreSQL store")) {
        if (mode.startsWith("Redis") && !ExternalService.REDIS.isReachable()) {
          continue;
        }
        if (mode.startsWith("PostgreSQL") && !ExternalService.POSTGRESQL.isReachable()) {
          continue;
        }
        String topic = "bench-" + UUID.randomUUID();
        kafka.createTopic(topic, 3);
        produce(kafka, topic, records);
        double rate =
            mode.equals("no dedup")
                ? plainConsumer(kafka, topic, records)
                : dedupConsumer(kafka, topic, records, mode);
        if (mode.equals("no dedup")) {
          plain = rate; // the second run, after warm-up, is the baseline
        }
        System.out.printf("| %s | %,.0f | %.2f |%n", mode, rate, rate / plain);
      }
    }
  }

  /** {@code records} records of about 200 bytes, each its own key. */
  static void produce(EmbeddedKafka kafka, String topic, int records) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    String payload = "x".repeat(200);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        sent.add(producer.send(new ProducerRecord<>(topic, "order-" + i, payload)));
      }
      // A lost send would leave the consumers waiting for records that never came.
      for (java.util.concurrent.Future<?> f : sent) {
        try {
          f.get();
        } catch (Exception e) {
          throw new IllegalStateException("producing the benchmark input failed", e);
        }
      }
    }
  }

  /** The no-dedup baseline: a plain consumer committing after each poll; records per second. */
  static double plainConsumer(EmbeddedKafka kafka, String topic, int records) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("group.id", "plain-" + topic);
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    p.put("max.poll.records", 500);
    AtomicLong sink = new AtomicLong();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long start = 0;
      int seen = 0;
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (seen < records) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("plain consumer saw " + seen + " of " + records);
        }
        ConsumerRecords<byte[], byte[]> polled = c.poll(Duration.ofMillis(200));
        if (!polled.isEmpty() && start == 0) {
          start = System.nanoTime();
        }
        polled.forEach(r -> sink.addAndGet(r.value().length));
        seen += polled.count();
        if (!polled.isEmpty()) {
          c.commitSync();
        }
      }
      return records / ((System.nanoTime() - start) / 1e9);
    }
  }

  private static double dedupConsumer(EmbeddedKafka kafka, String topic, int records, String mode)
      throws Exception {
    HikariDataSource pg = null;
    DedupStore store;
    if (mode.startsWith("Redis")) {
      store =
          RedisDedupStore.builder(ExternalService.REDIS.url())
              .keyPrefix("bench:" + topic + ":")
              .build();
    } else {
      pg = pool(ExternalService.POSTGRESQL.url());
      store = JdbcDedupStore.builder(pg).table("bench_dedup").build();
    }
    AtomicLong done = new AtomicLong();
    AtomicLong first = new AtomicLong();
    try (IdempotentConsumer c =
        IdempotentConsumer.builder(Map.of("bootstrap.servers", kafka.bootstrapServers()))
            .createTopics(true) // its dead-letter topic
            .groupId("dedup-" + topic)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.recordKey())
            .store(store)
            .instanceId("bench")
            .handler(
                r -> {
                  first.compareAndSet(0, System.nanoTime());
                  done.incrementAndGet();
                })
            .build()) {
      c.start();
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (done.get() < records) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(mode + " consumer saw " + done.get() + " of " + records);
        }
        Thread.sleep(5);
      }
      double rate = records / ((System.nanoTime() - first.get()) / 1e9);
      return rate;
    } finally {
      store.close();
      if (pg != null) {
        pg.close();
      }
    }
  }
}
