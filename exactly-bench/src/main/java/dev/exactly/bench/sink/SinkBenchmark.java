package dev.exactly.bench.sink;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.jdbc.internal.Column;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.sink.DbSink;
import dev.exactly.jdbc.sink.Upserts;
import dev.exactly.testkit.EmbeddedKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Rows per second into {@code processed_orders} (order_id key, 1 KB payload) on PostgreSQL and
 * MariaDB, three ways: the DB sink with one transaction per poll batch; the DB sink with one record
 * per transaction (the {@code max.poll.records=1} recipe); and a plain JDBC batch insert of the
 * same rows with no Kafka and no offsets, the limit.
 *
 * <p>Sink rates count from the first committed batch to the last, so group join and topic fetch
 * warm-up are left out. Usage: {@code SinkBenchmark [records] [perRecordRecords] [batch]}.
 */
public final class SinkBenchmark {
  private static final int PAYLOAD = 1024;
  private static final Map<String, String> DATABASES =
      Map.of(
          "postgresql", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres",
          "mariadb", "jdbc:mariadb://127.0.0.1:3306/test?user=root");

  private SinkBenchmark() {}

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int perRecord = args.length > 1 ? Integer.parseInt(args[1]) : 3_000;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 500;
    System.out.printf(
        "records=%d perRecordRecords=%d batch=%d payload=%d bytes%n",
        records, perRecord, batch, PAYLOAD);
    System.out.println("| database | way | rows | seconds | rows/s |");
    System.out.println("|---|---|---:|---:|---:|");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      for (String db : List.of("postgresql", "mariadb")) {
        String url = DATABASES.get(db);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(4);
        try (HikariDataSource ds = new HikariDataSource(config)) {
          System.out.println("(warm-up runs, not counted)");
          plainBatch(ds, db, 10_000, batch);
          sink(kafka, ds, db, 10_000, batch, "warmup");
          double plain = plainBatch(ds, db, records, batch);
          double sink = sink(kafka, ds, db, records, batch, "batched");
          double single = sink(kafka, ds, db, perRecord, 1, "per-record");
          System.out.printf(
              "%s: batched sink / one record per transaction = %.1fx; batched sink / plain JDBC"
                  + " batch = %.2fx%n",
              db, sink / single, sink / plain);
        }
      }
    }
  }

  private static String table(Connection c, String name) throws SQLException {
    Dialect d = Dialect.of(c);
    try (Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + name);
      for (String ddl :
          d.createTableIfAbsent(
              name,
              List.of(Column.key("order_id", 64), Column.bytes("payload", false)),
              List.of("order_id"),
              List.of())) {
        s.execute(ddl);
      }
    }
    return name;
  }

  private static byte[] payload(int i) {
    byte[] p = new byte[PAYLOAD];
    Arrays.fill(p, (byte) ('a' + i % 26));
    return p;
  }

  private static String id(int i) {
    return String.format("order-%09d", i);
  }

  /** The limit: the same rows, insert-if-absent in transactions of {@code batch}, nothing else. */
  private static double plainBatch(HikariDataSource ds, String db, int records, int batch)
      throws SQLException {
    try (Connection c = ds.getConnection()) {
      String t = table(c, "bench_plain_orders");
      long start = System.nanoTime();
      c.setAutoCommit(false);
      for (int from = 0; from < records; from += batch) {
        List<List<?>> rows = new ArrayList<>();
        for (int i = from; i < Math.min(records, from + batch); i++) {
          rows.add(List.of(id(i), payload(i)));
        }
        Upserts.insertIfAbsent(c, t, List.of("order_id", "payload"), List.of("order_id"), rows);
        c.commit();
      }
      c.setAutoCommit(true);
      double seconds = (System.nanoTime() - start) / 1e9;
      print(db, "plain JDBC batch of " + batch + ", no Kafka, no offsets", records, seconds);
      return records / seconds;
    }
  }

  private static double sink(
      EmbeddedKafka kafka, HikariDataSource ds, String db, int records, int batch, String way)
      throws Exception {
    String topic = "bench-" + db + "-" + way + "-" + System.nanoTime();
    kafka.createTopic(topic, 1);
    produce(kafka.bootstrapServers(), topic, records);
    String table;
    try (Connection c = ds.getConnection()) {
      table = table(c, "bench_sink_orders");
      try (Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS bench_sink_offsets");
      }
    }
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DbSink<String, byte[]> sink =
        DbSink.<String, byte[]>builder()
            .kafkaProperties(
                Map.of(
                    "bootstrap.servers",
                    kafka.bootstrapServers(),
                    "max.partition.fetch.bytes",
                    8 * 1024 * 1024))
            .createTopics(true) // its dead-letter topic
            .groupId(topic)
            .topics(topic)
            .deserializers(new StringDeserializer(), new ByteArrayDeserializer())
            .dataSource(ds)
            .offsetTable("bench_sink_offsets")
            .maxBatchRecords(batch)
            .meterRegistry(registry)
            .handler(
                (rs, connection) -> {
                  List<List<?>> rows = new ArrayList<>(rs.size());
                  rs.forEach(r -> rows.add(List.of(r.key(), r.value())));
                  Upserts.insertIfAbsent(
                      connection, table, List.of("order_id", "payload"), List.of("order_id"), rows);
                })
            .build();
    sink.start();
    var committed = registry.get("exactly.records.committed").counter();
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (committed.count() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    long start = System.nanoTime();
    double first = committed.count();
    while (committed.count() < records && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    sink.close(Duration.ofSeconds(30));
    double rows = committed.count() - first;
    print(
        db,
        "DB sink, " + (batch == 1 ? "one record per transaction" : "poll batches of " + batch),
        (long) rows,
        seconds);
    return rows / seconds;
  }

  private static void produce(String bootstrap, String topic, int records) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < records; i++) {
        producer.send(new ProducerRecord<>(topic, id(i), payload(i)));
      }
      producer.flush();
    }
  }

  private static void print(String db, String way, long rows, double seconds) {
    System.out.printf("| %s | %s | %d | %.2f | %,.0f |%n", db, way, rows, seconds, rows / seconds);
  }
}
