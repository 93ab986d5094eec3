package dev.exactly.bench.dedup;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotencyKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.jdbc.JdbcDedupStore;
import dev.exactly.redis.RedisDedupStore;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.ExternalService;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The idempotent consumer with concurrency, two ways.
 *
 * <ul>
 *   <li>Slow effect (default): a handler that makes a real loopback HTTP call answered after 20 ms,
 *       at concurrency 1, 8, 32 and 128: 6 partitions, 1,000 keys. The serial run takes fewer
 *       records (20 ms each would make 20,000 take 400 s); the rate is what is compared. In-memory
 *       store, so the figure is the consumer's, not a remote store's.
 *   <li>{@code noop}: a handler that does nothing, so the store is the whole cost, with the Redis
 *       and PostgreSQL stores at concurrency 1 (claim, handle, complete, commit, then poll) and 8
 *       (the next poll's claims go out while the handlers run; completions every few ms), against a
 *       plain consumer without dedup.
 * </ul>
 *
 * <p>Args: [records (20000)] [serial records (1000)] [concurrencies (1,8,32,128)], or {@code noop}
 * [records (20000)].
 */
public final class ConcurrencyBench {
  private static final int PARTITIONS = 6;
  private static final int KEYS = 1_000;
  private static final Duration EFFECT = Duration.ofMillis(20);

  private ConcurrencyBench() {}

  public static void main(String[] args) throws Exception {
    // The JDK server writes headers and body apart; with Nagle on, the body waits ~45 ms for the
    // client's delayed ACK (JDK-6968351), which would measure the TCP stack, not the consumer.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    if (args.length > 0 && args[0].equals("noop")) {
      noop(args.length > 1 ? Integer.parseInt(args[1]) : 20_000);
      System.exit(0);
    }
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int serialRecords = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    List<Integer> concurrencies =
        Arrays.stream((args.length > 2 ? args[2] : "1,8,32,128").split(","))
            .map(String::trim)
            .map(Integer::valueOf)
            .toList();
    ExecutorService serverPool = Executors.newCachedThreadPool();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    server.setExecutor(serverPool);
    server.createContext(
        "/effects",
        exchange -> {
          try (exchange) {
            exchange.getRequestBody().readAllBytes();
            try {
              Thread.sleep(EFFECT.toMillis()); // the remote service's answer time
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            byte[] ok = "ok".getBytes();
            exchange.sendResponseHeaders(200, ok.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(ok);
            }
          }
        });
    server.start();
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/effects");
    HttpClient http = HttpClient.newBuilder().executor(Executors.newCachedThreadPool()).build();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      System.out.println(
          "| concurrency | records | records/s | vs serial | vs concurrency / 20 ms |");
      System.out.println("|---:|---:|---:|---:|---:|");
      double serial = Double.NaN;
      for (int concurrency : concurrencies) {
        int n = concurrency == 1 ? serialRecords : records;
        String topic = "conc-bench-" + UUID.randomUUID();
        kafka.createTopic(topic, PARTITIONS);
        produce(kafka, topic, n);
        double rate =
            run(
                kafka,
                topic,
                n,
                concurrency,
                InMemoryDedupStore.create(1_000_000),
                DedupKey.topicPartitionOffset(),
                r -> {
                  HttpRequest request =
                      IdempotencyKey.relay(HttpRequest.newBuilder(uri), r)
                          .POST(HttpRequest.BodyPublishers.ofString(r.value()))
                          .build();
                  http.send(request, HttpResponse.BodyHandlers.discarding());
                });
        if (concurrency == 1) {
          serial = rate;
        }
        double ideal = concurrency / (EFFECT.toMillis() / 1000.0);
        System.out.printf(
            "| %d | %,d | %,.0f | %.1fx | %.2f |%n",
            concurrency, n, rate, rate / serial, rate / ideal);
      }
    } finally {
      server.stop(0);
      serverPool.shutdownNow();
    }
    System.exit(0);
  }

  static void produce(EmbeddedKafka kafka, String topic, int records) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    // A just-created topic's leader may move once; an idempotent producer's retry then failed with
    // OUT_OF_ORDER_SEQUENCE_NUMBER until it expired. A repeated input record is only one more
    // record.
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    p.put(ProducerConfig.ACKS_CONFIG, "1");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<Future<?>> sent = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        String key = "card-" + (i % KEYS);
        sent.add(producer.send(new ProducerRecord<>(topic, key, key + ":" + i)));
      }
      for (Future<?> f : sent) {
        try {
          f.get();
        } catch (Exception e) {
          throw new IllegalStateException("producing the benchmark input failed", e);
        }
      }
    }
  }

  /**
   * A plain consumer, then the idempotent consumer with each store at concurrency 1 and 8, on
   * {@code records} records of 200 bytes (3 partitions, max.poll.records 500), a no-op effect.
   */
  private static void noop(int records) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      System.out.println(
          "| consumer ("
              + records
              + " records, 3 partitions, max.poll.records 500, no-op effect) | concurrency"
              + " | records/s | vs no dedup |");
      System.out.println("|---|---:|---:|---:|");
      double plain = Double.NaN;
      for (String mode : List.of("no dedup", "no dedup", "Redis", "PostgreSQL")) {
        if (mode.equals("Redis") && !ExternalService.REDIS.isReachable()
            || mode.equals("PostgreSQL") && !ExternalService.POSTGRESQL.isReachable()) {
          System.out.println("| " + mode + " | unreachable, skipped | | |");
          continue;
        }
        for (int concurrency : mode.equals("no dedup") ? List.of(1) : List.of(1, 8)) {
          String topic = "noop-bench-" + UUID.randomUUID();
          kafka.createTopic(topic, 3);
          DedupBench.produce(kafka, topic, records);
          double rate;
          if (mode.equals("no dedup")) {
            rate = DedupBench.plainConsumer(kafka, topic, records);
            plain = rate; // the second run, after warm-up, is the baseline
          } else {
            rate = noopDedup(kafka, topic, records, concurrency, mode);
          }
          System.out.printf(
              "| %s | %s | %,.0f | %.2f |%n",
              mode, mode.equals("no dedup") ? "-" : concurrency, rate, rate / plain);
        }
      }
    }
  }

  private static double noopDedup(
      EmbeddedKafka kafka, String topic, int records, int concurrency, String mode)
      throws Exception {
    HikariDataSource pg = null;
    DedupStore store;
    if (mode.equals("Redis")) {
      store =
          RedisDedupStore.builder(ExternalService.REDIS.url())
              .keyPrefix("bench:" + topic + ":")
              .build();
    } else {
      pg = DedupBench.pool(ExternalService.POSTGRESQL.url());
      store = JdbcDedupStore.builder(pg).table("bench_dedup").build();
    }
    try {
      return run(kafka, topic, records, concurrency, store, DedupKey.recordKey(), r -> {});
    } finally {
      store.close();
      if (pg != null) {
        pg.close();
      }
    }
  }

  /** The idempotent consumer over {@code topic} until {@code records} handled; records/s. */
  private static double run(
      EmbeddedKafka kafka,
      String topic,
      int records,
      int concurrency,
      DedupStore store,
      DedupKey dedupKey,
      IdempotentConsumer.Handler<String, String> effect)
      throws Exception {
    AtomicLong done = new AtomicLong();
    AtomicLong first = new AtomicLong();
    try (IdempotentConsumer c =
        IdempotentConsumer.builder(Map.of("bootstrap.servers", kafka.bootstrapServers()))
            .createTopics(true) // its dead-letter topic
            .groupId("conc-" + topic)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            // With the offset as key each record is one effect; the Kafka key orders a card's.
            .dedupKey(dedupKey)
            .store(store)
            .instanceId("bench")
            .concurrency(concurrency)
            .handler(
                r -> {
                  first.compareAndSet(0, System.nanoTime());
                  effect.handle(r);
                  done.incrementAndGet();
                })
            .build()) {
      c.start();
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      while (done.get() < records) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "concurrency " + concurrency + " saw " + done.get() + " of " + records);
        }
        Thread.sleep(5);
      }
      return records / ((System.nanoTime() - first.get()) / 1e9);
    }
  }
}
