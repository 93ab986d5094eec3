package dev.exactly.bench.outbox;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.jdbc.outbox.OutboxRelay;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.ExternalService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Database to Kafka on PostgreSQL and an in-process broker, in one run:
 *
 * <ol>
 *   <li>steady load, Exactly then gruelbox transaction-outbox ({@link GruelboxPeer}): writers
 *       commit one row per transaction at a fixed total rate; commit-to-visible latency (writer's
 *       commit returned -> a read_committed consumer in this JVM sees the record) p50/p99;
 *   <li>backlog drain against the peer: {@code peerRows} rows written while the outbox was not
 *       publishing, then publishing resumed; rows/s until all are in Kafka, Exactly then gruelbox;
 *   <li>backlog drain against the limit: {@code backlogRows} rows preloaded, then the relay
 *       started; and a plain idempotent producer (acks=all) sending the same records.
 * </ol>
 *
 * Arguments: {@code [backlogRows=1000000] [steadyRate=500] [steadySeconds=20] [peerRows=20000]}.
 * System properties {@code relay.kafka.<producer setting>} and {@code relay.batchSize} override the
 * relay's settings, for experiments.
 */
public final class OutboxBenchmark {
  private static final int VALUE_BYTES = 100;
  private static final int KEYS = 1000;
  private static final int PARTITIONS = 6;

  private OutboxBenchmark() {}

  /**
   * Writes one row in its own transaction; returns the id the consumer will see, once committed.
   */
  private interface RowWriter {
    String write(String topic, byte[] key, byte[] value) throws Exception;
  }

  private record Latency(long rows, double achieved, double p50, double p99, double max) {}

  public static void main(String[] args) throws Exception {
    int backlog = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int peerRows = args.length > 3 ? Integer.parseInt(args[3]) : 20_000;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(ExternalService.POSTGRESQL.url());
      config.setMaximumPoolSize(16);
      try (HikariDataSource ds = new HikariDataSource(config)) {
        // For experiments: -Dbench.phases=steady,drain (default all). Only the phases that ran
        // print a RESULT line: a skipped phase has no figures to divide.
        String phases = System.getProperty("bench.phases", "steady,peer,drain");
        if (phases.contains("steady")) {
          Latency exactly = steadyExactly(kafka, ds, rate, seconds);
          Latency gruelbox = steadyGruelbox(kafka, ds, rate, seconds);
          System.out.printf(
              "RESULT vs gruelbox, steady %d rows/s: Exactly p50 %.1f ms p99 %.1f ms; gruelbox p50"
                  + " %.1f ms p99 %.1f ms%n",
              rate, exactly.p50(), exactly.p99(), gruelbox.p50(), gruelbox.p99());
        }
        if (phases.contains("peer")) {
          long exactlyPeerDrain = drain(kafka, ds, peerRows);
          long gruelboxDrain = drainGruelbox(kafka, ds, peerRows);
          System.out.printf(
              "RESULT vs gruelbox, drain %d rows: Exactly %.2f s = %.0f rows/s; gruelbox %.2f s ="
                  + " %.0f rows/s; ratio %.1f%n",
              peerRows,
              exactlyPeerDrain / 1e9,
              peerRows / (exactlyPeerDrain / 1e9),
              gruelboxDrain / 1e9,
              peerRows / (gruelboxDrain / 1e9),
              (double) gruelboxDrain / exactlyPeerDrain);
        }
        if (phases.contains("drain")) {
          long relay = drain(kafka, ds, backlog);
          long plain = plainProducer(kafka, backlog);
          System.out.printf(
              "RESULT drain: relay %d rows in %.1f s = %.0f rows/s; plain idempotent producer %.1f s"
                  + " = %.0f rec/s; ratio %.2f%n",
              backlog,
              relay / 1e9,
              backlog / (relay / 1e9),
              plain / 1e9,
              backlog / (plain / 1e9),
              (double) plain / relay);
        }
      }
    }
  }

  private static String fresh(String prefix) {
    return prefix + "_" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100000;
  }

  private static OutboxRelay relay(
      EmbeddedKafka kafka, HikariDataSource ds, String table, SimpleMeterRegistry meters) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.putAll(producerOverrides());
    return OutboxRelay.builder()
        .dataSource(ds)
        .kafkaProperties(props)
        .createTopics(true) // its dead-letter topic
        .table(table)
        .batchSize(Integer.getInteger("relay.batchSize", 10_000))
        .meterRegistry(meters)
        .build();
  }

  /**
   * Producer settings given as {@code -Drelay.kafka.<name>=<value>}: to the relay and to the plain
   * producer alike, so the limit is measured with the same tuning.
   */
  private static Map<String, Object> producerOverrides() {
    Map<String, Object> out = new HashMap<>();
    System.getProperties()
        .forEach(
            (k, v) -> {
              if (k.toString().startsWith("relay.kafka.")) {
                out.put(k.toString().substring("relay.kafka.".length()), v);
              }
            });
    return out;
  }

  private static Latency steadyExactly(
      EmbeddedKafka kafka, HikariDataSource ds, int rate, int seconds) throws Exception {
    String table = fresh("bench_steady");
    String topic = table.replace('_', '-');
    Outbox outbox = Outbox.builder().table(table).build();
    try (Connection c = ds.getConnection()) {
      outbox.createTableIfAbsent(c);
    }
    RowWriter writer =
        (t, key, value) -> {
          try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            long id = outbox.write(c, t, key, value, Map.of());
            c.commit();
            return Long.toString(id);
          }
        };
    try (OutboxRelay relay = relay(kafka, ds, table, new SimpleMeterRegistry())) {
      relay.start();
      return steady(kafka, "Exactly", topic, writer, rate, seconds);
    }
  }

  private static Latency steadyGruelbox(
      EmbeddedKafka kafka, HikariDataSource ds, int rate, int seconds) throws Exception {
    String topic = fresh("bench-steady-gruelbox").replace('_', '-');
    try (GruelboxPeer peer = new GruelboxPeer(ds, kafka.bootstrapServers())) {
      return steady(kafka, "gruelbox", topic, peer::write, rate, seconds);
    }
  }

  private static Latency steady(
      EmbeddedKafka kafka, String who, String topic, RowWriter writer, int rate, int seconds)
      throws Exception {
    createAndWarm(kafka, topic);
    Map<String, Long> committedAt = new ConcurrentHashMap<>();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean();
    Thread consumer = new Thread(() -> consume(kafka, topic, committedAt, latencies, stop));
    consumer.start();
    int writers = 4;
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) * writers / rate;
    AtomicLong written = new AtomicLong();
    Thread.sleep(2000);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    CountDownLatch done = new CountDownLatch(writers);
    for (int w = 0; w < writers; w++) {
      int seed = w;
      pool.submit(
          () -> {
            Random random = new Random(seed);
            long next = System.nanoTime();
            try {
              while (System.nanoTime() < end) {
                byte[] value = new byte[VALUE_BYTES];
                random.nextBytes(value);
                String id = writer.write(topic, key(random.nextInt(KEYS)), value);
                committedAt.put(id, System.nanoTime());
                written.incrementAndGet();
                next += intervalNanos;
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                  TimeUnit.NANOSECONDS.sleep(sleep);
                }
              }
            } catch (Exception e) {
              e.printStackTrace();
            } finally {
              done.countDown();
            }
          });
    }
    done.await();
    pool.shutdown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (latencies.size() < written.get() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    stop.set(true);
    consumer.join();
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    Latency l =
        new Latency(
            written.get(),
            written.get() / (double) seconds,
            percentile(sorted, 50) / 1e6,
            percentile(sorted, 99) / 1e6,
            sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6);
    System.out.printf(
        "RESULT steady %s: %d rows at %d rows/s target (%.0f achieved) for %d s: commit-to-visible"
            + " p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d seen)%n",
        who, l.rows(), rate, l.achieved(), seconds, l.p50(), l.p99(), l.max(), sorted.length);
    return l;
  }

  private static void consume(
      EmbeddedKafka kafka,
      String topic,
      Map<String, Long> committedAt,
      List<Long> latencies,
      AtomicBoolean stop) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo info : c.partitionsFor(topic)) {
        parts.add(new TopicPartition(topic, info.partition()));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      while (!stop.get()) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
          long now = System.nanoTime();
          Header id = r.headers().lastHeader(Outbox.ID_HEADER);
          if (id == null) {
            continue; // a warm-up record
          }
          String key = new String(id.value(), StandardCharsets.UTF_8);
          Long at = committedAt.get(key);
          // The record can arrive before the writer noted its commit; wait for the note.
          while (at == null && !stop.get()) {
            Thread.onSpinWait();
            at = committedAt.get(key);
          }
          if (at != null) {
            latencies.add(Math.max(0, now - at));
          }
        }
      }
    }
  }

  private static long drain(EmbeddedKafka kafka, HikariDataSource ds, int rows) throws Exception {
    String table = fresh("bench_drain");
    String topic = table.replace('_', '-');
    createAndWarm(kafka, topic);
    Outbox outbox = Outbox.builder().table(table).build();
    long loadStart = System.nanoTime();
    try (Connection c = ds.getConnection()) {
      outbox.createTableIfAbsent(c);
      c.setAutoCommit(false);
      int per = 1000;
      String sql =
          "INSERT INTO "
              + table
              + " (topic, msg_key, msg_value, headers, created_at) VALUES "
              + String.join(", ", Collections.nCopies(per, "(?, ?, ?, NULL, ?)"));
      Random random = new Random(1);
      byte[] value = new byte[VALUE_BYTES];
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int done = 0; done < rows; done += per) {
          int p = 1;
          for (int i = 0; i < per; i++) {
            random.nextBytes(value);
            ps.setString(p++, topic);
            ps.setBytes(p++, key((done + i) % KEYS));
            ps.setBytes(p++, value.clone());
            ps.setLong(p++, System.currentTimeMillis());
          }
          ps.executeUpdate();
          if (done % 100_000 == 0) {
            c.commit();
          }
        }
      }
      c.commit();
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        s.execute("ANALYZE " + table);
      }
    }
    System.out.printf("loaded %d rows in %.1f s%n", rows, (System.nanoTime() - loadStart) / 1e9);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    long start = System.nanoTime();
    try (OutboxRelay relay = relay(kafka, ds, table, meters)) {
      relay.start();
      while (meters.find("exactly.records.committed").counter() == null
          || meters.find("exactly.records.committed").counter().count() < rows) {
        Thread.sleep(20);
      }
      return System.nanoTime() - start;
    }
  }

  /**
   * gruelbox drain: {@code rows} publications scheduled (1,000 per transaction) while it is paused,
   * then resumed as after an outage; timed until every record was acknowledged by Kafka.
   */
  private static long drainGruelbox(EmbeddedKafka kafka, HikariDataSource ds, int rows)
      throws Exception {
    String topic = fresh("bench-drain-gruelbox").replace('_', '-');
    createAndWarm(kafka, topic);
    try (GruelboxPeer peer = new GruelboxPeer(ds, kafka.bootstrapServers())) {
      peer.pause();
      Random random = new Random(1);
      byte[][] keys = new byte[rows][];
      byte[][] values = new byte[rows][];
      for (int i = 0; i < rows; i++) {
        keys[i] = key(i % KEYS);
        values[i] = new byte[VALUE_BYTES];
        random.nextBytes(values[i]);
      }
      long loadStart = System.nanoTime();
      peer.writeBatch(topic, keys, values, 1000);
      System.out.printf(
          "gruelbox: loaded %d rows in %.1f s%n", rows, (System.nanoTime() - loadStart) / 1e9);
      peer.resetSent();
      long start = System.nanoTime();
      peer.resumeAfterOutage();
      long deadline = start + TimeUnit.MINUTES.toNanos(10);
      while (peer.sent() < rows && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      if (peer.sent() < rows) {
        throw new IllegalStateException("gruelbox sent only " + peer.sent() + " of " + rows);
      }
      return System.nanoTime() - start;
    }
  }

  private static long plainProducer(EmbeddedKafka kafka, int rows) {
    String topic = fresh("bench-plain").replace('_', '-');
    createAndWarm(kafka, topic);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.putAll(producerOverrides());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    Random random = new Random(1);
    byte[] value = new byte[VALUE_BYTES];
    long start = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < rows; i++) {
        random.nextBytes(value);
        ProducerRecord<byte[], byte[]> r =
            new ProducerRecord<>(topic, key(i % KEYS), value.clone());
        r.headers().add(Outbox.ID_HEADER, Long.toString(i).getBytes(StandardCharsets.UTF_8));
        producer.send(r);
      }
      producer.flush();
    }
    return System.nanoTime() - start;
  }

  /**
   * Creates the topic and sends one record to each partition before anything is timed. Sending at
   * once into a just-created topic met NOT_LEADER_OR_FOLLOWER and then endless
   * OUT_OF_ORDER_SEQUENCE_NUMBER retries for an idempotent producer here (Kafka 4.4.0).
   */
  private static void createAndWarm(EmbeddedKafka kafka, String topic) {
    kafka.createTopic(topic, PARTITIONS);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int partition = 0; partition < PARTITIONS; partition++) {
        try {
          producer.send(new ProducerRecord<>(topic, partition, null, new byte[0])).get();
        } catch (Exception e) {
          throw new IllegalStateException("warm-up of " + topic + " failed", e);
        }
      }
    }
  }

  private static byte[] key(int k) {
    return ("key-" + k).getBytes(StandardCharsets.UTF_8);
  }

  private static long percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
