package dev.exactly.bench.dedup;

import com.sun.net.httpserver.HttpServer;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotencyKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.testkit.EmbeddedKafka;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
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
 * The idempotent consumer with a handler that makes a real loopback HTTP call answered after 20 ms,
 * at concurrency 1, 8 and 32: 6 partitions, 1,000 keys. The serial run takes fewer records (20 ms
 * each would make 20,000 take 400 s); the rate is what is compared. In-memory store, so the figure
 * is the consumer's, not a remote store's.
 *
 * <p>Args: [records (20000)] [serial records (1000)].
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
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int serialRecords = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
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
      for (int concurrency : List.of(1, 8, 32)) {
        int n = concurrency == 1 ? serialRecords : records;
        String topic = "conc-bench-" + UUID.randomUUID();
        kafka.createTopic(topic, PARTITIONS);
        produce(kafka, topic, n);
        double rate = run(kafka, topic, n, concurrency, http, uri);
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

  private static void produce(EmbeddedKafka kafka, String topic, int records) {
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

  private static double run(
      EmbeddedKafka kafka, String topic, int records, int concurrency, HttpClient http, URI uri)
      throws Exception {
    AtomicLong done = new AtomicLong();
    AtomicLong first = new AtomicLong();
    try (IdempotentConsumer c =
        IdempotentConsumer.builder(Map.of("bootstrap.servers", kafka.bootstrapServers()))
            .createTopics(true) // its dead-letter topic
            .groupId("conc-" + topic)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            // Each record is one effect; the Kafka key orders one card's records.
            .dedupKey(DedupKey.topicPartitionOffset())
            .store(InMemoryDedupStore.create(1_000_000))
            .instanceId("bench")
            .concurrency(concurrency)
            .handler(
                r -> {
                  first.compareAndSet(0, System.nanoTime());
                  HttpRequest request =
                      IdempotencyKey.relay(HttpRequest.newBuilder(uri), r)
                          .POST(HttpRequest.BodyPublishers.ofString(r.value()))
                          .build();
                  http.send(request, HttpResponse.BodyHandlers.discarding());
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
