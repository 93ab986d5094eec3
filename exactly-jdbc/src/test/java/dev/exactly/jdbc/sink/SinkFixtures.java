package dev.exactly.jdbc.sink;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.TopicWriter;
import dev.exactly.testkit.check.Input;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the sink tests share: inputs, a producer, and the business table the handler writes.
 *
 * <p>The business table has NO unique key on {@code input_id} on purpose: a plain INSERT per
 * record, so any record applied twice shows up as a second row. Exactly-once then rests entirely on
 * the sink's offsets-in-the-transaction and epoch fencing, not on the table deduplicating.
 */
final class SinkFixtures {
  /** Records whose value is this make the handler's INSERT violate NOT NULL: a real DB error. */
  static final String POISON = "POISON";

  private SinkFixtures() {}

  static String id(int i) {
    return String.format("in-%07d", i);
  }

  static List<Input> inputs(int from, int count) {
    List<Input> out = new ArrayList<>(count);
    for (int i = from; i < from + count; i++) {
      out.add(new Input(id(i), id(i), 0));
    }
    return out;
  }

  /**
   * Writes inputs {@code from .. from+count-1} to {@code topic}, each exactly once, and checks it
   * by reading the topic back: a crash test whose input never reached Kafka would otherwise look
   * like a sink that stopped committing. A send can fail (seen here: a brand-new partition answered
   * NOT_LEADER_OR_FOLLOWER, then OUT_OF_ORDER_SEQUENCE until the delivery timeout dropped 272
   * records); only the ids the topic does not hold are sent again, by a new producer, so an append
   * that failed ambiguously is never duplicated.
   *
   * @throws AssertionError when the topic still lacks inputs after three rounds, or holds one twice
   */
  static void produce(String bootstrap, String topic, int from, int count, int valueBytes) {
    String pad = "x".repeat(Math.max(1, valueBytes));
    Set<String> wanted = new LinkedHashSet<>();
    for (int i = from; i < from + count; i++) {
      wanted.add(id(i));
    }
    Set<String> missing = new LinkedHashSet<>(wanted);
    String lastError = "none";
    for (int round = 1; round <= 3 && !missing.isEmpty(); round++) {
      lastError = send(bootstrap, topic, missing, pad);
      Map<String, Integer> seen = new HashMap<>();
      for (var r : TopicReader.readCommitted(bootstrap, topic)) {
        String key = new String(r.key(), StandardCharsets.UTF_8);
        if (wanted.contains(key)) {
          seen.merge(key, 1, Integer::sum);
        }
      }
      List<String> twice =
          seen.entrySet().stream().filter(e -> e.getValue() > 1).map(e -> e.getKey()).toList();
      if (!twice.isEmpty()) {
        throw new AssertionError(
            "test fixture: topic "
                + topic
                + " holds "
                + twice.size()
                + " inputs twice (first "
                + twice.get(0)
                + ") after the producer's retries; the inputs are wrong, not the sink");
      }
      missing.removeAll(seen.keySet());
    }
    if (!missing.isEmpty()) {
      throw new AssertionError(
          "test fixture: topic "
              + topic
              + " still lacks "
              + missing.size()
              + " of "
              + count
              + " inputs after 3 rounds of sending (first "
              + missing.iterator().next()
              + ", last send error "
              + lastError
              + "); Kafka refused the inputs, the sink never saw them");
    }
  }

  /** Sends {@code ids} with a new producer; returns the first send error, or "none". */
  private static String send(String bootstrap, String topic, Set<String> ids, String pad) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    AtomicReference<Exception> error = new AtomicReference<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (String id : ids) {
        producer.send(
            new ProducerRecord<>(topic, id, pad),
            (metadata, e) -> {
              if (e != null) {
                error.compareAndSet(null, e);
              }
            });
      }
      producer.flush();
    }
    return error.get() == null ? "none" : error.get().toString();
  }

  static void produceOne(String bootstrap, String topic, String key, String value) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      TopicWriter.sendAll(producer, List.of(new ProducerRecord<>(topic, key, value)));
    }
  }

  static void createBusinessTable(String url, String table) throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE "
              + table
              + " (input_id VARCHAR(64) NOT NULL, writer VARCHAR(64) NOT NULL,"
              + " payload_len INTEGER NOT NULL)");
    }
  }

  static void dropTables(String url, String... tables) {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      for (String t : tables) {
        s.execute("DROP TABLE IF EXISTS " + t);
        s.execute("DROP TABLE IF EXISTS " + t + "_dlt"); // an offset table's dead letters
      }
    } catch (SQLException e) {
      // leftovers only cost disk; the names are unique per run
    }
  }

  /** The handler of every test: one plain INSERT per record, batched in one round trip. */
  static BatchHandler<String, String> insertHandler(String table, String writer) {
    return (records, connection) -> insert(connection, table, writer, records);
  }

  static void insert(
      Connection connection, String table, String writer, List<ConsumerRecord<String, String>> rs)
      throws SQLException {
    try (PreparedStatement s =
        connection.prepareStatement(
            "INSERT INTO " + table + " (input_id, writer, payload_len) VALUES (?, ?, ?)")) {
      for (ConsumerRecord<String, String> r : rs) {
        s.setString(1, r.key());
        s.setString(2, writer);
        if (POISON.equals(r.value())) {
          s.setNull(3, java.sql.Types.INTEGER);
        } else {
          s.setInt(3, r.value().length());
        }
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /** A {@link SinkChild} JVM named {@code name}, its output in {@code logs/<name>.log}. */
  static ChildProcess startChild(String name, List<String> args, Path logs) {
    return ChildProcess.builder(SinkChild.class)
        .name(name)
        .args(args)
        .jvmArgs("-Xmx160m", "-XX:TieredStopAtLevel=1")
        .output(logs.resolve(name + ".log"))
        .start();
  }

  static long count(String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
