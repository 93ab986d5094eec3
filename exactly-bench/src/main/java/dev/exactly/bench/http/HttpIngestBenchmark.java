package dev.exactly.bench.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.http.IdempotentIngest;
import dev.exactly.http.IngestServer;
import dev.exactly.jdbc.outbox.OutboxRelay;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.TestDirectories;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP ingest against a plain endpoint on Jetty that parses the same JSON and answers after an
 * idempotent producer's send is acknowledged (no key store, no database). Loopback clients send 1
 * KB bodies, 10 % of them a retry of an earlier request with the same key. Prints the closed-loop
 * throughput of each and the p99 latency at half of each one's throughput.
 *
 * <p>Arguments: database ({@code h2} or {@code postgresql}), clients, seconds per measurement.
 */
public final class HttpIngestBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpIngestBenchmark() {}

  public static void main(String[] args) throws Exception {
    String db = args.length > 0 ? args[0] : "h2";
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    String url =
        switch (db) {
          case "h2" ->
              "jdbc:h2:file:"
                  + TestDirectories.newDirectory("http-bench").resolve("ingest")
                  + ";WRITE_DELAY=0";
          case "postgresql" -> ExternalService.POSTGRESQL.url();
          default -> throw new IllegalArgumentException("database h2 or postgresql, not " + db);
        };
    String suffix = Long.toString(ProcessHandle.current().pid());
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("ingest-" + suffix, 6);
      kafka.createTopic("plain-" + suffix, 6);
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(url);
      config.setMaximumPoolSize(clients + 4);
      try (HikariDataSource ds = new HikariDataSource(config);
          KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
        String keys = "bench_keys_" + suffix;
        String outbox = "bench_outbox_" + suffix;
        IdempotentIngest ingest =
            IdempotentIngest.builder()
                .dataSource(ds)
                .table(keys)
                .outboxTable(outbox)
                .route("/orders", "ingest-" + suffix, "/orderId")
                .requireKey(true)
                .build();
        ingest.createTablesIfAbsent();
        OutboxRelay relay =
            OutboxRelay.builder()
                .dataSource(ds)
                .kafkaProperties(Map.of("bootstrap.servers", kafka.bootstrapServers()))
                .table(outbox)
                .positionTopic("positions-" + suffix)
                .createTopics(true)
                .build();
        relay.start();
        IngestServer ingestServer =
            IngestServer.builder().ingest(ingest).port(0).maxThreads(clients + 8).build();
        ingestServer.start();
        Server plain = plainServer(producer, "plain-" + suffix, clients + 8);
        String ingestUrl = "http://127.0.0.1:" + ingestServer.port() + "/orders";
        String plainUrl =
            "http://127.0.0.1:"
                + ((ServerConnector) plain.getConnectors()[0]).getLocalPort()
                + "/orders";
        try {
          System.out.printf(
              "database %s, %d clients, %d s per run, 1 KB bodies, 10%% retries%n",
              db, clients, seconds);
          closedLoop(plainUrl, clients, 3);
          closedLoop(ingestUrl, clients, 3);
          List<Double> plainRates = new ArrayList<>();
          List<Double> ingestRates = new ArrayList<>();
          for (int round = 0; round < 2; round++) {
            plainRates.add(closedLoop(plainUrl, clients, seconds));
            ingestRates.add(closedLoop(ingestUrl, clients, seconds));
          }
          double plainMax = plainRates.stream().mapToDouble(d -> d).max().orElseThrow();
          double ingestMax = ingestRates.stream().mapToDouble(d -> d).max().orElseThrow();
          System.out.printf(
              "plain endpoint: %s req/s; ingest: %s req/s; ratio %.2f%n",
              plainRates, ingestRates, ingestMax / plainMax);
          double[] plainLatency = openLoop(plainUrl, clients, plainMax / 2, seconds);
          double[] ingestLatency = openLoop(ingestUrl, clients, ingestMax / 2, seconds);
          System.out.printf(
              "at half max: plain %.0f req/s p50 %.1f ms p99 %.1f ms; ingest %.0f req/s p50 %.1f ms p99 %.1f ms%n",
              plainMax / 2,
              plainLatency[0],
              plainLatency[1],
              ingestMax / 2,
              ingestLatency[0],
              ingestLatency[1]);
        } finally {
          ingestServer.close();
          plain.stop();
          relay.close(Duration.ofSeconds(10));
          try (Connection c = ds.getConnection();
              Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + keys);
            s.execute("DROP TABLE IF EXISTS " + outbox);
          }
        }
      }
    }
  }

  /** Each client sends as fast as answers come; returns answers per second. */
  private static double closedLoop(String url, int clients, int seconds) throws Exception {
    AtomicLong answers = new AtomicLong();
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      Thread t =
          new Thread(
              () -> {
                Sender sender = new Sender(url);
                while (System.nanoTime() < end) {
                  sender.sendOne();
                  answers.incrementAndGet();
                }
              });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    return Math.round(answers.get() * 10.0 / seconds) / 10.0;
  }

  /**
   * Clients send at a fixed total rate; latency counts from each request's scheduled time, so a
   * stall is not hidden by sending less. Returns p50 and p99 in ms.
   */
  private static double[] openLoop(String url, int clients, double rate, int seconds)
      throws Exception {
    long interval = (long) (1e9 * clients / rate);
    long start = System.nanoTime();
    long end = start + Duration.ofSeconds(seconds).toNanos();
    List<long[]> all = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      long offset = interval * i / clients;
      long[] latencies = new long[(int) (rate * seconds / clients) + 16];
      all.add(latencies);
      Thread t =
          new Thread(
              () -> {
                Sender sender = new Sender(url);
                int n = 0;
                for (long next = start + offset;
                    next < end && n < latencies.length;
                    next += interval) {
                  long wait = next - System.nanoTime();
                  if (wait > 0) {
                    try {
                      Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                  sender.sendOne();
                  latencies[n++] = System.nanoTime() - next;
                }
                latencies[latencies.length - 1] = n;
              });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    List<Long> values = new ArrayList<>();
    for (long[] l : all) {
      int n = (int) l[l.length - 1];
      for (int i = 0; i < n; i++) {
        values.add(l[i]);
      }
    }
    long[] sorted = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(sorted);
    return new double[] {
      sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6
    };
  }

  /** One client: new keys, and 10 % retries of one of its earlier requests. */
  private static final class Sender {
    private final HttpClient client =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final URI uri;
    private final List<String[]> sent = new ArrayList<>();

    Sender(String url) {
      this.uri = URI.create(url);
    }

    void sendOne() {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      String[] request;
      if (!sent.isEmpty() && random.nextInt(10) == 0) {
        request = sent.get(random.nextInt(sent.size()));
      } else {
        String id = UUID.randomUUID().toString();
        String head = "{\"orderId\":\"" + id + "\",\"pad\":\"";
        request = new String[] {id, head + "x".repeat(1024 - head.length() - 2) + "\"}"};
        if (sent.size() < 1000) {
          sent.add(request);
        } else {
          sent.set(random.nextInt(sent.size()), request);
        }
      }
      HttpRequest r =
          HttpRequest.newBuilder(uri)
              .header("Content-Type", "application/json")
              .header("Idempotency-Key", "\"" + request[0] + "\"")
              .POST(HttpRequest.BodyPublishers.ofString(request[1]))
              .build();
      try {
        HttpResponse<Void> answer = client.send(r, HttpResponse.BodyHandlers.discarding());
        if (answer.statusCode() != 202) {
          throw new IllegalStateException("status " + answer.statusCode() + " from " + uri);
        }
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return new KafkaProducer<>(p);
  }

  /**
   * The baseline: parse the JSON, read the key, send with the idempotent producer, answer 202 when
   * the broker acknowledged. A retry is simply sent again.
   */
  private static Server plainServer(
      KafkaProducer<byte[], byte[]> producer, String topic, int threads) throws Exception {
    Server server = new Server(new QueuedThreadPool(threads, Math.min(8, threads)));
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback)
              throws Exception {
            byte[] body;
            try (InputStream in = Content.Source.asInputStream(request)) {
              body = in.readNBytes(1 << 20);
            }
            JsonNode json = JSON.readTree(body);
            String key = json.at("/orderId").asText();
            producer
                .send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), body))
                .get();
            byte[] answer =
                ("{\"topic\":\"" + topic + "\",\"key\":\"" + key + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            response.setStatus(202);
            response.getHeaders().put("Content-Type", "application/json");
            response.write(true, ByteBuffer.wrap(answer), callback);
            return true;
          }
        });
    server.start();
    return server;
  }
}
