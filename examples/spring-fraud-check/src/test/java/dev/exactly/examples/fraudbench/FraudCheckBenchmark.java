package dev.exactly.examples.fraudbench;

import dev.exactly.testkit.EmbeddedKafka;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
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
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Exactly's processor against Spring Kafka's transactional {@code @KafkaListener}, each in a Boot
 * application, on one in-process broker in one run: 1 KB records, identity transform.
 *
 * <p>Spring Kafka runs three ways: as its documentation sets it up (a record listener, so one
 * transaction per record, producer defaults); the same with the producer's {@code retry.backoff.ms}
 * at 10 ms, as Exactly sets its own (back-to-back transactions meet {@code CONCURRENT_TRANSACTIONS}
 * and wait that long, see docs/kafka-facts.md); and a batch listener, one transaction per poll,
 * with the same backoff: Spring Kafka at its fastest for this job.
 *
 * <ul>
 *   <li>Throughput: each application drains the same prefilled topic in its own group, for at most
 *       {@code seconds}; records per second from its first committed progress to its last. Two
 *       rounds, since all run in one JVM: the first warms it up, the second is reported.
 *   <li>Latency: at a fixed rate, each application copies a fresh topic; a read_committed consumer
 *       measures from the send (a timestamp in the value) to the record's arrival, after a warm-up.
 *       An application that cannot keep up with the rate is reported as such.
 * </ul>
 *
 * <p>Arguments: {@code [records] [seconds per throughput run] [latency rate per second] [latency
 * seconds]}, default {@code 50000 20 50 20}. Not part of the test suite. In a package of its own so
 * that the fraud-check application's component scan, which sees the test classes in the crash
 * test's child JVM, does not pick these applications up.
 */
public final class FraudCheckBenchmark {
  private static final int VALUE_BYTES = 1024;

  private FraudCheckBenchmark() {}

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int rate = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    int latencySeconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    Map<Contender, Double> rates = new EnumMap<>(Contender.class);
    Map<Contender, String> latencies = new EnumMap<>(Contender.class);
    try (EmbeddedKafka broker = EmbeddedKafka.start()) {
      String bootstrap = broker.bootstrapServers();
      broker.createTopic("bench-in", 3);
      for (Contender c : Contender.values()) {
        for (String t : List.of("out-", "lat-in-", "lat-out-")) {
          broker.createTopic(t + c.shortName(), 3);
        }
      }
      produce(bootstrap, "bench-in", records, 0, Duration.ZERO);
      System.out.printf("prefilled bench-in with %d records of %d bytes%n", records, VALUE_BYTES);
      // Round 1 warms the JVM (the contenders share it) and is not reported.
      for (int round = 1; round <= 2; round++) {
        for (Contender c : Contender.values()) {
          rates.put(c, throughput(bootstrap, c, round, records, Duration.ofSeconds(seconds)));
        }
      }
      for (Contender c : Contender.values()) {
        latencies.put(c, latency(bootstrap, c, rate, latencySeconds));
      }
    }
    double exactly = rates.get(Contender.EXACTLY);
    System.out.println();
    System.out.printf(
        "| application | Exactly vs it | records/s | p50 / p99 at %d rec/s |%n", rate);
    System.out.println("|---|---:|---:|---|");
    for (Contender c : Contender.values()) {
      System.out.printf(
          "| %s | %.1fx | %,.0f | %s |%n",
          c.label, exactly / rates.get(c), rates.get(c), latencies.get(c));
    }
    System.exit(0);
  }

  enum Contender {
    EXACTLY("Exactly processor (starter), defaults", "exactly"),
    EXACTLY_10MS("Exactly processor (starter), commit-interval 10ms", "exactly-10ms"),
    SPRING_KAFKA("Spring Kafka, record listener, defaults", "spring"),
    SPRING_KAFKA_TUNED("Spring Kafka, record listener, retry.backoff.ms=10", "spring-tuned"),
    SPRING_KAFKA_BATCH("Spring Kafka, batch listener, retry.backoff.ms=10", "spring-batch");

    final String label;
    private final String shortName;

    Contender(String label, String shortName) {
      this.label = label;
      this.shortName = shortName;
    }

    String shortName() {
      return shortName;
    }

    ConfigurableApplicationContext start(String bootstrap, String in, String out, String group) {
      List<String> props =
          new ArrayList<>(
              List.of(
                  "spring.config.name=bench",
                  "spring.main.banner-mode=off",
                  "spring.autoconfigure.exclude="
                      + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                  "logging.level.org.apache.kafka=WARN",
                  "logging.level.dev.exactly=WARN",
                  "spring.kafka.bootstrap-servers=" + bootstrap,
                  "bench.in=" + in,
                  "bench.out=" + out,
                  "bench.group=" + group));
      Class<?> app;
      if (this == EXACTLY || this == EXACTLY_10MS) {
        app = ExactlyCopyApp.class;
        props.addAll(
            List.of(
                "exactly.instance-id=bench-" + group,
                "exactly.processors.copy.input-topic=" + in,
                "exactly.processors.copy.group-id=" + group,
                "exactly.processors.copy.create-topics=true",
                "exactly.processors.copy.key-deserializer=" + ByteArrayDeserializer.class.getName(),
                "exactly.processors.copy.value-deserializer="
                    + ByteArrayDeserializer.class.getName(),
                "exactly.processors.copy.key-serializer=" + ByteArraySerializer.class.getName(),
                "exactly.processors.copy.value-serializer=" + ByteArraySerializer.class.getName(),
                "exactly.processors.copy.kafka.auto.offset.reset=earliest"));
        if (this == EXACTLY_10MS) {
          props.add("exactly.processors.copy.commit-interval=10ms");
        }
      } else {
        app = this == SPRING_KAFKA_BATCH ? SpringKafkaBatchCopyApp.class : SpringKafkaCopyApp.class;
        props.addAll(
            List.of(
                "spring.kafka.producer.transaction-id-prefix=bench-" + group + "-",
                "spring.kafka.producer.key-serializer=" + ByteArraySerializer.class.getName(),
                "spring.kafka.producer.value-serializer=" + ByteArraySerializer.class.getName(),
                "spring.kafka.consumer.key-deserializer=" + ByteArrayDeserializer.class.getName(),
                "spring.kafka.consumer.value-deserializer=" + ByteArrayDeserializer.class.getName(),
                "spring.kafka.consumer.auto-offset-reset=earliest"));
        if (this != SPRING_KAFKA) {
          props.add("spring.kafka.producer.properties.retry.backoff.ms=10");
        }
        if (this == SPRING_KAFKA_BATCH) {
          props.add("spring.kafka.listener.type=batch");
        }
      }
      return new SpringApplicationBuilder(app).properties(props.toArray(String[]::new)).run();
    }
  }

  private static double throughput(
      String bootstrap, Contender system, int round, int records, Duration limit) throws Exception {
    String group = "tput-" + system.shortName() + "-" + round;
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
        ConfigurableApplicationContext app =
            system.start(bootstrap, "bench-in", "out-" + system.shortName(), group)) {
      System.out.printf("%s started: %s%n", system, app.getId());
      long firstAt = 0;
      long firstCount = 0;
      long lastAt = 0;
      long lastCount = 0;
      long deadline = System.nanoTime() + limit.toNanos();
      while (System.nanoTime() < deadline && lastCount < records) {
        long done = committed(admin, group);
        long now = System.nanoTime();
        if (firstAt == 0 && done > 0) {
          firstAt = now;
          firstCount = done;
        }
        if (done > lastCount) {
          lastAt = now;
          lastCount = done;
        }
        Thread.sleep(20);
      }
      if (lastCount <= firstCount) {
        throw new IllegalStateException(system + " made no progress within " + limit);
      }
      double rate = (lastCount - firstCount) / ((lastAt - firstAt) / 1e9);
      System.out.printf(
          "round %d %s: %,d records committed, %,.0f rec/s%n", round, system, lastCount, rate);
      return rate;
    }
  }

  private static String latency(String bootstrap, Contender system, int rate, int seconds)
      throws Exception {
    String in = "lat-in-" + system.shortName();
    String out = "lat-out-" + system.shortName();
    List<Long> latencies = new ArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    try (ConfigurableApplicationContext app =
        system.start(bootstrap, in, out, "lat-" + system.shortName())) {
      System.out.printf("%s started: %s%n", system, app.getId());
      Thread reader =
          new Thread(
              () -> {
                try (KafkaConsumer<byte[], byte[]> consumer = readCommitted(bootstrap)) {
                  consumer.subscribe(List.of(out));
                  while (!stop.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                      long sent = ByteBuffer.wrap(r.value()).getLong();
                      if (sent > 0) {
                        synchronized (latencies) {
                          latencies.add(System.nanoTime() - sent);
                        }
                      }
                    }
                  }
                }
              },
              "latency-reader");
      reader.start();
      // Warm-up records carry 0 and are not measured.
      produce(bootstrap, in, rate * 3, rate, Duration.ofSeconds(-1));
      produce(bootstrap, in, rate * seconds, rate, Duration.ZERO);
      Thread.sleep(3000);
      stop.set(true);
      reader.join();
    }
    long[] sorted;
    synchronized (latencies) {
      sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    }
    int expected = rate * seconds;
    if (sorted.length < expected * 0.99) {
      String result =
          String.format(
              "cannot keep up: %,d of %,d arrived within 3 s of the last send",
              sorted.length, expected);
      System.out.printf("%s at %d rec/s: %s%n", system, rate, result);
      return result;
    }
    long p50 = TimeUnit.NANOSECONDS.toMillis(sorted[sorted.length / 2]);
    long p99 = TimeUnit.NANOSECONDS.toMillis(sorted[(int) (sorted.length * 0.99)]);
    System.out.printf("%s at %d rec/s: p50 %d ms, p99 %d ms%n", system, rate, p50, p99);
    return p50 + " ms / " + p99 + " ms";
  }

  private static long committed(Admin admin, String group) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    return offsets.values().stream().filter(o -> o != null).mapToLong(o -> o.offset()).sum();
  }

  /**
   * Writes {@code count} 1 KB records at {@code perSecond} (0: as fast as possible); each value
   * starts with the send time in nanoseconds, or 0 when {@code warmUp} is negative.
   */
  private static void produce(
      String bootstrap, String topic, int count, int perSecond, Duration warmUp) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, perSecond == 0 ? 10 : 0);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    boolean measured = !warmUp.isNegative();
    long start = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      for (int i = 0; i < count; i++) {
        if (perSecond > 0) {
          long due = start + TimeUnit.SECONDS.toNanos(1) * i / perSecond;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            try {
              TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(e);
            }
          }
        }
        byte[] value = new byte[VALUE_BYTES];
        Arrays.fill(value, (byte) 'x');
        ByteBuffer.wrap(value).putLong(measured ? System.nanoTime() : 0);
        producer.send(new ProducerRecord<>(topic, UUID.randomUUID().toString().getBytes(), value));
      }
      producer.flush();
    }
  }

  private static KafkaConsumer<byte[], byte[]> readCommitted(String bootstrap) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "latency-" + UUID.randomUUID());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return new KafkaConsumer<>(props);
  }
}
