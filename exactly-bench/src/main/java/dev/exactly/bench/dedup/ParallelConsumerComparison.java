package dev.exactly.bench.dedup;

import com.sun.net.httpserver.HttpServer;
import dev.exactly.Ordering;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotencyKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.redis.RedisDedupStore;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.ExternalService;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Exactly's idempotent consumer side by side with Confluent Parallel Consumer, on the slow-effect
 * workload of {@link ConcurrencyBench}: a handler that POSTs each record to a loopback JDK HTTP
 * server answering after 20 ms, 6 partitions, 1,000 Kafka keys, key ordering, the same concurrency.
 *
 * <p>Contenders, each on a fresh consumer group over the same topic per concurrency:
 *
 * <ul>
 *   <li>{@code exactly-memory}: the idempotent consumer with the in-memory store (dedup is the
 *       consumer's own cost only);
 *   <li>{@code exactly-redis}: the same with the Redis store, a real network store (skipped when
 *       Redis is unreachable);
 *   <li>{@code pc-async}: Parallel Consumer 0.5.3.3, {@code KEY} ordering, commit mode {@code
 *       PERIODIC_CONSUMER_ASYNCHRONOUS} (its default), no deduplication;
 *   <li>{@code pc-tx}: the same with {@code PERIODIC_TRANSACTIONAL_PRODUCER}.
 * </ul>
 *
 * <p>Parallel Consumer runs in a child JVM on kafka-clients 3.9.1 (the standalone project {@code
 * exactly-bench/parallel-consumer}): its control loop fails on the kafka-clients 4.x that Exactly
 * uses. Its class path comes from the system property {@code pc.classpath}; {@code
 * exactly-bench/parallel-consumer/run.sh} builds both and runs this.
 *
 * <p>Every figure is taken at the HTTP server, the same way for every contender: records over the
 * time from the first request's arrival to the moment the last distinct record's effect was
 * answered. The server also counts effects per record, so the table says how many were repeated
 * (Exactly must show none) and whether any is missing.
 *
 * <p>Args: [seconds per run at the ideal rate (10)] [concurrencies (8,32,128)] [contenders
 * (exactly-memory,exactly-redis,pc-async,pc-tx)]. Each run takes {@code concurrency / 20 ms *
 * seconds} records (at least 2,000).
 */
public final class ParallelConsumerComparison {
  private static final int PARTITIONS = 6;
  private static final Duration EFFECT = Duration.ofMillis(20);
  private static final Duration RUN_LIMIT = Duration.ofMinutes(5);
  private static final String PC_MAIN = "dev.exactly.bench.pc.ParallelConsumerRun";

  /** What the HTTP server saw during one run. */
  private static final class Effects {
    final String tag;
    final int target;
    final Map<String, Integer> perRecord = new ConcurrentHashMap<>();
    final AtomicLong total = new AtomicLong();
    final AtomicInteger distinct = new AtomicInteger();
    final AtomicLong first = new AtomicLong();
    final CountDownLatch complete = new CountDownLatch(1);
    volatile long completedAt;

    Effects(String tag, int target) {
      this.tag = tag;
      this.target = target;
    }

    double rate() {
      return target / ((completedAt - first.get()) / 1e9);
    }

    long duplicates() {
      return total.get() - distinct.get();
    }
  }

  private static volatile Effects current = new Effects("none", 0);
  private static final AtomicLong stray = new AtomicLong();

  private ParallelConsumerComparison() {}

  public static void main(String[] args) throws Exception {
    // As in ConcurrencyBench: without it the JDK server's body waits for a delayed ACK (~45 ms).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    List<Integer> concurrencies = ints(args.length > 1 ? args[1] : "8,32,128");
    List<String> contenders =
        Arrays.asList(
            (args.length > 2 ? args[2] : "exactly-memory,exactly-redis,pc-async,pc-tx").split(","));
    String pcClasspath = System.getProperty("pc.classpath");
    if (pcClasspath == null && contenders.stream().anyMatch(c -> c.startsWith("pc-"))) {
      throw new IllegalArgumentException(
          "-Dpc.classpath is not set; build it with exactly-bench/parallel-consumer/run.sh");
    }

    ExecutorService serverPool = Executors.newCachedThreadPool();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
    server.setExecutor(serverPool);
    server.createContext("/effects/", ParallelConsumerComparison::effect);
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/effects/";
    HttpClient http = HttpClient.newBuilder().executor(Executors.newCachedThreadPool()).build();

    Map<Integer, Map<String, Effects>> results = new LinkedHashMap<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      System.out.printf("load average at start: %s%n", loadAverage());
      // Warms the broker, the server and this JVM's client code, so the first measured contender
      // does not pay for it; not reported.
      String warm = "pc-cmp-warmup-" + UUID.randomUUID();
      kafka.createTopic(warm, PARTITIONS);
      ConcurrencyBench.produce(kafka, warm, 2_000);
      exactly(kafka, warm, 2_000, 32, "exactly-memory", base, http);

      for (int concurrency : concurrencies) {
        int records = Math.max(2_000, (int) (concurrency / (EFFECT.toMillis() / 1000.0) * seconds));
        String topic = "pc-cmp-" + concurrency + "-" + UUID.randomUUID();
        kafka.createTopic(topic, PARTITIONS);
        ConcurrencyBench.produce(kafka, topic, records);
        Map<String, Effects> row = new LinkedHashMap<>();
        for (String contender : contenders) {
          if (contender.equals("exactly-redis") && !ExternalService.REDIS.isReachable()) {
            System.out.println("exactly-redis: Redis unreachable, skipped");
            continue;
          }
          Effects e =
              contender.startsWith("pc-")
                  ? parallelConsumer(
                      kafka, topic, records, concurrency, contender, base, pcClasspath)
                  : exactly(kafka, topic, records, concurrency, contender, base, http);
          if (e != null) {
            row.put(contender, e);
            System.out.printf(
                "%s concurrency %d: %,d records, %,.0f records/s, %,d effects, %,d repeated,"
                    + " %,d missing; load average %s%n",
                contender,
                concurrency,
                records,
                e.rate(),
                e.total.get(),
                e.duplicates(),
                records - e.distinct.get(),
                loadAverage());
          }
        }
        results.put(concurrency, row);
      }
      System.out.printf("load average at end: %s%n", loadAverage());
    } finally {
      server.stop(0);
      serverPool.shutdownNow();
    }
    table(results, contenders);
    System.exit(0);
  }

  private static void effect(com.sun.net.httpserver.HttpExchange exchange) throws IOException {
    try (exchange) {
      String tag = exchange.getRequestURI().getPath().substring("/effects/".length());
      Effects e = current;
      boolean ours = e.tag.equals(tag);
      if (ours) {
        e.first.compareAndSet(0, System.nanoTime());
      }
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      try {
        Thread.sleep(EFFECT.toMillis()); // the remote service's answer time
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      byte[] ok = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, ok.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(ok);
      }
      if (!ours) {
        stray.incrementAndGet(); // a late call from an earlier run
        return;
      }
      e.total.incrementAndGet();
      if (e.perRecord.merge(body, 1, Integer::sum) == 1
          && e.distinct.incrementAndGet() == e.target) {
        e.completedAt = System.nanoTime();
        e.complete.countDown();
      }
    }
  }

  private static Effects exactly(
      EmbeddedKafka kafka,
      String topic,
      int records,
      int concurrency,
      String contender,
      String base,
      HttpClient http)
      throws Exception {
    String tag = contender + "-" + concurrency + "-" + UUID.randomUUID();
    URI uri = URI.create(base + tag);
    DedupStore store =
        contender.equals("exactly-redis")
            ? RedisDedupStore.builder(ExternalService.REDIS.url())
                .keyPrefix("bench:" + tag + ":")
                .build()
            : InMemoryDedupStore.create(1_000_000);
    Effects e = new Effects(tag, records);
    current = e;
    try (store;
        IdempotentConsumer c =
            IdempotentConsumer.builder(Map.of("bootstrap.servers", kafka.bootstrapServers()))
                .createTopics(true) // its dead-letter topic
                .groupId("pc-cmp-" + tag)
                .input(topic, new StringDeserializer(), new StringDeserializer())
                .dedupKey(DedupKey.topicPartitionOffset())
                .store(store)
                .instanceId("bench")
                .concurrency(concurrency)
                .ordering(Ordering.KEY)
                .handler(
                    r -> {
                      HttpRequest request =
                          IdempotencyKey.relay(HttpRequest.newBuilder(uri), r)
                              .POST(HttpRequest.BodyPublishers.ofString(r.value()))
                              .build();
                      HttpResponse<Void> response =
                          http.send(request, HttpResponse.BodyHandlers.discarding());
                      if (response.statusCode() != 200) {
                        throw new IllegalStateException("effect answered " + response.statusCode());
                      }
                    })
                .build()) {
      c.start();
      if (!e.complete.await(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            contender + " at concurrency " + concurrency + " saw " + e.distinct + " of " + records);
      }
    }
    return e;
  }

  private static Effects parallelConsumer(
      EmbeddedKafka kafka,
      String topic,
      int records,
      int concurrency,
      String contender,
      String base,
      String classpath)
      throws Exception {
    String tag = contender + "-" + concurrency + "-" + UUID.randomUUID();
    String commitMode =
        contender.equals("pc-tx")
            ? "PERIODIC_TRANSACTIONAL_PRODUCER"
            : "PERIODIC_CONSUMER_ASYNCHRONOUS";
    Effects e = new Effects(tag, records);
    current = e;
    Path log = Files.createTempFile("pc-" + tag, ".log");
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx1g",
                "-XX:+UseSerialGC",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp",
                classpath,
                PC_MAIN,
                kafka.bootstrapServers(),
                topic,
                "pc-cmp-" + tag,
                Integer.toString(concurrency),
                Integer.toString(records),
                base + tag,
                commitMode));
    Process child =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(log.toFile())).start();
    AtomicReference<String> result = new AtomicReference<>();
    // Read on a thread of its own, so a child that hangs cannot hang the comparison.
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                  if (line.startsWith("PC_RESULT") || line.startsWith("PC_FAILED")) {
                    result.set(line);
                  }
                }
              } catch (IOException ignored) {
                // the child died; its exit and its log tell why
              }
            },
            "pc-child-stdout");
    reader.setDaemon(true);
    reader.start();
    if (!child.waitFor(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
      child.destroyForcibly().waitFor();
    }
    reader.join(Duration.ofSeconds(5).toMillis());
    if (result.get() == null || !result.get().startsWith("PC_RESULT") || e.completedAt == 0) {
      System.out.printf(
          "%s at concurrency %d failed: %s (exit %s); its log, last lines:%n%s%n",
          contender,
          concurrency,
          result.get(),
          child.isAlive() ? "none" : child.exitValue(),
          tail(log, 30));
      return null;
    }
    System.out.println("  " + contender + " reports (its own clock): " + result.get());
    Files.deleteIfExists(log);
    return e;
  }

  private static void table(Map<Integer, Map<String, Effects>> results, List<String> contenders) {
    List<String> exactlies = contenders.stream().filter(c -> c.startsWith("exactly-")).toList();
    List<String> peers = contenders.stream().filter(c -> c.startsWith("pc-")).toList();
    StringBuilder head = new StringBuilder("| concurrency | records |");
    StringBuilder rule = new StringBuilder("|---:|---:|");
    for (String x : exactlies) {
      for (String p : peers) {
        head.append(' ').append(x).append(" / ").append(p).append(" |");
        rule.append("---:|");
      }
    }
    for (String c : contenders) {
      head.append(' ').append(c).append(" rec/s (repeated) |");
      rule.append("---:|");
    }
    System.out.println();
    System.out.println(head);
    System.out.println(rule);
    for (Map.Entry<Integer, Map<String, Effects>> r : results.entrySet()) {
      Map<String, Effects> row = r.getValue();
      int records = row.values().stream().mapToInt(e -> e.target).findFirst().orElse(0);
      StringBuilder line = new StringBuilder();
      line.append(String.format("| %d | %,d |", r.getKey(), records));
      for (String x : exactlies) {
        for (String p : peers) {
          Effects a = row.get(x);
          Effects b = row.get(p);
          line.append(
              a == null || b == null ? " - |" : String.format(" %.2f |", a.rate() / b.rate()));
        }
      }
      for (String c : contenders) {
        Effects e = row.get(c);
        line.append(e == null ? " - |" : String.format(" %,.0f (%,d) |", e.rate(), e.duplicates()));
      }
      System.out.println(line);
    }
    System.out.printf("calls that arrived after their run ended: %d%n", stray.get());
  }

  private static List<Integer> ints(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).map(Integer::valueOf).toList();
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String tail(Path file, int lines) throws IOException {
    List<String> all = Files.readAllLines(file);
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }
}
