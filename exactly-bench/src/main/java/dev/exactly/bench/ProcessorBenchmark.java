package dev.exactly.bench;

import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.Guarantee;
import dev.exactly.testkit.KafkaCluster;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Throughput and end-to-end latency of an identity transform over 1 KB records on 6 partitions, on
 * one broker (a child JVM), for the processor in exactly-once and at-least-once modes and for Kafka
 * Streams with exactly_once_v2. Every contender runs in this JVM against the same broker.
 *
 * <p>Arguments: {@code [records=100000] [rounds=2] [latencyRate=2000] [latencySeconds=20]}; 0
 * latency seconds skips the latency runs. Prints a Markdown table.
 */
public final class ProcessorBenchmark {
  private static final int PARTITIONS = 6;
  private static final int RECORD_BYTES = 1024;

  private enum Contender {
    AT_LEAST_ONCE,
    EXACTLY_ONCE,
    STREAMS_EOS_V2
  }

  /**
   * The contenders to run, from {@code -Dbench.contenders=EXACTLY_ONCE,AT_LEAST_ONCE} (default
   * all), for quicker runs while profiling one of them.
   */
  private static final List<Contender> CONTENDERS =
      System.getProperty("bench.contenders", "").isBlank()
          ? List.of(Contender.values())
          : Arrays.stream(System.getProperty("bench.contenders").split(","))
              .map(String::trim)
              .map(Contender::valueOf)
              .toList();

  private ProcessorBenchmark() {}

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int rate = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    try (KafkaCluster cluster =
        KafkaCluster.builder().brokers(1).jvmArgs("-Xmx768m", "-XX:+UseSerialGC").start()) {
      String bootstrap = cluster.bootstrapServers();
      cluster.createTopic("bench-in", PARTITIONS);
      long t = System.nanoTime();
      produce(bootstrap, "bench-in", records, 0, 0);
      System.out.printf(
          "preloaded %d x %d B in %.1f s%n", records, RECORD_BYTES, (System.nanoTime() - t) / 1e9);

      Map<Contender, List<Double>> throughput = new HashMap<>();
      // Round -1 warms up this JVM and the broker and is not counted: whichever contender ran
      // first after the preload used to come out 25-40 % slow.
      for (int round = -1; round < rounds; round++) {
        List<Contender> order = new ArrayList<>(CONTENDERS);
        Collections.rotate(order, Math.max(0, round));
        for (Contender c : order) {
          String name = c.name().toLowerCase(Locale.ROOT) + "-" + (round < 0 ? "warmup" : round);
          cluster.createTopic("out-" + name, PARTITIONS);
          double perSecond = throughput(bootstrap, c, name, records);
          if (round >= 0) {
            throughput.computeIfAbsent(c, k -> new ArrayList<>()).add(perSecond);
          }
          System.out.printf(
              "round %s %-16s %,10.0f records/s%n",
              round < 0 ? "warm-up" : Integer.toString(round), c, perSecond);
        }
      }
      Map<Contender, double[]> latency = new HashMap<>();
      for (Contender c : seconds > 0 ? CONTENDERS : List.<Contender>of()) {
        String name = "lat-" + c.name().toLowerCase(Locale.ROOT);
        cluster.createTopic(name + "-in", PARTITIONS);
        cluster.createTopic("out-" + name, PARTITIONS);
        latency.put(c, latency(bootstrap, c, name, rate, seconds));
        System.out.printf(
            "latency %-16s p50 %5.0f ms  p99 %5.0f ms%n", c, latency.get(c)[0], latency.get(c)[1]);
      }

      System.out.println();
      System.out.printf(
          "| contender | throughput, records/s (rounds) | median | p50 latency at %d/s | p99 |%n",
          rate);
      System.out.println("|---|---|---|---|---|");
      double[] none = {Double.NaN, Double.NaN};
      for (Contender c : CONTENDERS) {
        List<Double> ts = throughput.get(c);
        System.out.printf(
            "| %s | %s | %,.0f | %.0f ms | %.0f ms |%n",
            c,
            ts.stream().map(v -> String.format("%,.0f", v)).toList(),
            median(ts),
            latency.getOrDefault(c, none)[0],
            latency.getOrDefault(c, none)[1]);
      }
      if (throughput.containsKey(Contender.EXACTLY_ONCE)) {
        double eos = median(throughput.get(Contender.EXACTLY_ONCE));
        System.out.printf(
            "%nexactly-once / at-least-once = %.3f; exactly-once / Kafka Streams EOS v2 = %.3f%n",
            eos / median(throughput.getOrDefault(Contender.AT_LEAST_ONCE, List.of(Double.NaN))),
            eos / median(throughput.getOrDefault(Contender.STREAMS_EOS_V2, List.of(Double.NaN))));
        List<Double> eo = throughput.get(Contender.EXACTLY_ONCE);
        List<Double> alo = throughput.get(Contender.AT_LEAST_ONCE);
        if (alo != null) {
          List<Double> ratios = new ArrayList<>();
          for (int i = 0; i < eo.size(); i++) {
            ratios.add(eo.get(i) / alo.get(i));
          }
          System.out.println(
              "exactly-once / at-least-once per round: "
                  + ratios.stream().map(r -> String.format("%.2f", r)).toList());
          // Rounds run minutes apart on a shared machine; a round's two contenders run seconds
          // apart, so the median of the per-round ratios is the steadier figure.
          System.out.printf(
              "exactly-once / at-least-once, median of the per-round ratios: %.3f%n",
              median(ratios));
        }
      }
    }
  }

  /** Records per second over the middle of a full drain of the preloaded topic. */
  private static double throughput(String bootstrap, Contender c, String name, int records)
      throws Exception {
    String group = "group-" + name;
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AutoCloseable running = start(bootstrap, c, group, "bench-in", "out-" + name, registry);
    try (Admin admin = admin(bootstrap)) {
      long tenPercent = 0;
      long[] cpuAtTenPercent = null;
      while (true) {
        long done = committed(admin, group);
        long now = System.nanoTime();
        if (tenPercent == 0 && done >= records / 10) {
          tenPercent = now;
          cpuAtTenPercent = cpuNanos();
        }
        if (done >= records) {
          long[] cpu = cpuNanos();
          System.out.printf(
              "  %s: CPU over the measured part: this JVM %.2f s, broker %.2f s, in %.2f s%n",
              c,
              (cpu[0] - cpuAtTenPercent[0]) / 1e9,
              (cpu[1] - cpuAtTenPercent[1]) / 1e9,
              (now - tenPercent) / 1e9);
          printCommitFigures(c, registry, (now - tenPercent) / 1e9);
          return records * 0.9 / ((now - tenPercent) / 1e9);
        }
        Thread.sleep(50);
      }
    } finally {
      running.close();
    }
  }

  /**
   * CPU time used so far by this JVM (the contender and its clients) and by its child processes
   * (the broker), to tell a contender that works more from one that waits more.
   */
  private static long[] cpuNanos() {
    long self =
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime();
    long children =
        ProcessHandle.current()
            .descendants()
            .mapToLong(h -> h.info().totalCpuDuration().map(Duration::toNanos).orElse(0L))
            .sum();
    return new long[] {self, children};
  }

  /** Where the processor's time went: how long its commits took and how long it stood idle. */
  private static void printCommitFigures(Contender c, MeterRegistry registry, double seconds) {
    Timer latency = registry.find("exactly.commit.latency").timer();
    Timer wait = registry.find("exactly.commit.wait").timer();
    if (latency == null || wait == null) {
      return;
    }
    System.out.printf(
        "  %s: %d commits, commit latency mean %.1f ms max %.0f ms; engine idle waiting for"
            + " commits %.2f s of %.2f s measured (whole run)%n",
        c,
        latency.count(),
        latency.mean(TimeUnit.MILLISECONDS),
        latency.max(TimeUnit.MILLISECONDS),
        wait.totalTime(TimeUnit.SECONDS),
        seconds);
  }

  /** p50 and p99 in milliseconds from input creation to read_committed visibility. */
  private static double[] latency(String bootstrap, Contender c, String name, int rate, int seconds)
      throws Exception {
    AutoCloseable running =
        start(
            bootstrap, c, "group-" + name, name + "-in", "out-" + name, new SimpleMeterRegistry());
    List<Long> millis = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean reading = new AtomicBoolean(true);
    Thread reader = new Thread(() -> read(bootstrap, "out-" + name, millis, reading));
    reader.start();
    try {
      Thread.sleep(8000); // group join and first assignment, outside the measurement
      produce(bootstrap, name + "-in", rate * seconds, rate, 8);
      Thread.sleep(5000);
    } finally {
      reading.set(false);
      reader.join();
      running.close();
    }
    List<Long> sorted = new ArrayList<>(millis);
    Collections.sort(sorted);
    if (sorted.isEmpty()) {
      return new double[] {Double.NaN, Double.NaN};
    }
    return new double[] {
      sorted.get(sorted.size() / 2),
      sorted.get((int) Math.min(sorted.size() - 1, sorted.size() * 0.99))
    };
  }

  private static void read(String bootstrap, String topic, List<Long> millis, AtomicBoolean on) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        parts.add(new TopicPartition(topic, p));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      while (on.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
          millis.add(System.currentTimeMillis() - ByteBuffer.wrap(r.value()).getLong());
        }
      }
    }
  }

  private static AutoCloseable start(
      String bootstrap, Contender c, String group, String in, String out, MeterRegistry registry)
      throws Exception {
    if (c == Contender.STREAMS_EOS_V2) {
      Properties p = new Properties();
      p.put(StreamsConfig.APPLICATION_ID_CONFIG, group);
      p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
      p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
      p.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("streams").toString());
      p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
      p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
      p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
      StreamsBuilder b = new StreamsBuilder();
      b.<byte[], byte[]>stream(in).to(out);
      KafkaStreams streams = new KafkaStreams(b.build(), p);
      streams.start();
      return () -> streams.close(Duration.ofSeconds(30));
    }
    ExactlyOnceProcessor.Builder<byte[], byte[], byte[], byte[]> builder =
        ExactlyOnceProcessor.builder(Map.of("bootstrap.servers", bootstrap))
            .createTopics(true) // its dead-letter topic
            .groupId(group)
            .instanceId("bench")
            .guarantee(
                c == Contender.EXACTLY_ONCE
                    ? Guarantee.EXACTLY_ONCE
                    : Guarantee.AT_LEAST_ONCE_NOT_EXACTLY_ONCE)
            .commitInterval(Duration.ofMillis(100))
            .meterRegistry(registry)
            .input(in, new ByteArrayDeserializer(), new ByteArrayDeserializer())
            .process((record, o) -> o.send(out, record.key(), record.value()));
    Integer maxBatchRecords = Integer.getInteger("bench.maxBatchRecords"); // default: the builder's
    if (maxBatchRecords != null) {
      builder.maxBatchRecords(maxBatchRecords);
    }
    ExactlyOnceProcessor processor = builder.build();
    processor.start();
    return () -> processor.close(Duration.ofSeconds(30));
  }

  private static void produce(String bootstrap, String topic, int count, int rate, int stampAt) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.LINGER_MS_CONFIG, rate > 0 ? 0 : 10);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 131072);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    long start = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      for (int i = 0; i < count; i++) {
        byte[] value = new byte[RECORD_BYTES];
        ThreadLocalRandom.current().nextBytes(value);
        if (stampAt > 0) {
          ByteBuffer.wrap(value).putLong(System.currentTimeMillis());
        }
        byte[] key = ("key-" + (i % 1000)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topic, key, value));
        if (rate > 0) {
          long due = start + TimeUnit.SECONDS.toNanos(1) * (i + 1) / rate;
          while (System.nanoTime() < due) {
            Thread.onSpinWait();
            if (due - System.nanoTime() > 1_000_000) {
              try {
                Thread.sleep(1);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
              }
            }
          }
        }
      }
      producer.flush();
    }
  }

  private static long committed(Admin admin, String group) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(30, TimeUnit.SECONDS);
    return offsets.values().stream()
        .filter(o -> o != null)
        .mapToLong(OffsetAndMetadata::offset)
        .sum();
  }

  private static Admin admin(String bootstrap) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  /** The middle value, or the mean of the two middle values of an even count. */
  private static double median(List<Double> values) {
    List<Double> s = new ArrayList<>(values);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
