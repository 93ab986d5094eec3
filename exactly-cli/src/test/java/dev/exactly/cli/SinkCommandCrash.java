package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.TopicWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code exactly sink} in child JVMs SIGKILLed at random while inputs flow, then run to the end:
 * every key must hold its latest document and a revision equal to the records sent for it. A record
 * applied twice raises a revision, a record lost lowers it or leaves an older document. The inputs
 * arrive over about 16 s, so every kill lands while records flow.
 */
final class SinkCommandCrash {
  static final int KEYS = 150;
  static final int RECORDS_PER_KEY = 8;
  static final int KILLS = 3;

  private SinkCommandCrash() {}

  /** Sends, kills and restarts, then checks the table; {@code jdbcUrl} carries credentials. */
  static void run(String bootstrap, String jdbcUrl, String table, String topic) throws Exception {
    run(bootstrap, jdbcUrl, jdbcUrl, table, topic, List.of(), Map.of());
  }

  /**
   * As {@link #run(String, String, String, String)}, the children reaching the database at {@code
   * childUrl} with {@code childArgs} and {@code childEnv} (credentials), the test at {@code
   * jdbcUrl}. No child may print a value of {@code childEnv}.
   */
  static void run(
      String bootstrap,
      String childUrl,
      String jdbcUrl,
      String table,
      String topic,
      List<String> childArgs,
      Map<String, String> childEnv)
      throws Exception {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "sink",
            "--bootstrap-server",
            bootstrap,
            "--from",
            topic,
            "--group",
            "g-" + topic,
            "--table",
            table,
            "--key",
            "/id",
            "--offset-table",
            table + "_offsets",
            "--jdbc-url",
            childUrl));
    args.addAll(childArgs);
    List<String> outputs = new ArrayList<>();
    Thread producer = new Thread(() -> produce(bootstrap, topic), "sink-crash-producer");
    producer.start();
    Random random = new Random(11);
    for (int i = 0; i < KILLS; i++) {
      try (ChildProcess sink = child("sink-kill-" + i, args, childEnv)) {
        sink.awaitOutput("claimed [", Duration.ofSeconds(60));
        Thread.sleep(300 + random.nextInt(1200));
        sink.kill();
        outputs.add(sink.outputText());
      }
    }
    producer.join();
    int total = KEYS * RECORDS_PER_KEY;
    try (ChildProcess sink = child("sink-final", args, childEnv)) {
      sink.awaitOutput("claimed [", Duration.ofSeconds(60));
      awaitTrue(() -> revisions(jdbcUrl, table) >= total, Duration.ofSeconds(60), sink);
      Thread.sleep(500); // room for a wrong extra apply to show
      sink.terminate();
      assertThat(sink.awaitExit(Duration.ofSeconds(45))).as(sink.outputText()).isZero();
      outputs.add(sink.outputText());
    }
    for (String secret : childEnv.values()) {
      assertThat(outputs).as("no child prints a credential").noneMatch(o -> o.contains(secret));
    }
    Map<String, long[]> rows = rows(jdbcUrl, table);
    Map<String, long[]> expected = new TreeMap<>();
    for (int k = 0; k < KEYS; k++) {
      expected.put(key(k), new long[] {RECORDS_PER_KEY, RECORDS_PER_KEY - 1});
    }
    assertThat(rows)
        .as("key -> [revision, seq of the document]")
        .usingRecursiveComparison()
        .isEqualTo(expected);
  }

  static ChildProcess child(String name, List<String> args, Map<String, String> env) {
    ChildProcess.Builder b = ChildProcess.builder(Main.class).name(name).jvmArgs("-Xmx160m");
    env.forEach(b::environment);
    return b.args(args).start();
  }

  static String key(int k) {
    return "k" + k;
  }

  /** Every key's records in sequence, in rounds, while the children are killed. */
  private static void produce(String bootstrap, String topic) {
    try (KafkaProducer<String, String> p =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      for (int seq = 0; seq < RECORDS_PER_KEY; seq++) {
        List<ProducerRecord<String, String>> round = new ArrayList<>();
        for (int k = 0; k < KEYS; k++) {
          // Keyed by the document's id: a key's records share a partition and keep their order.
          round.add(
              new ProducerRecord<>(
                  topic, key(k), "{\"id\":\"" + key(k) + "\",\"seq\":" + seq + ",\"note\":\"x\"}"));
        }
        TopicWriter.sendAll(p, round);
        Thread.sleep(2000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static long revisions(String jdbcUrl, String table) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(revision), 0) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** key -> [revision, seq field of the stored document]. */
  static Map<String, long[]> rows(String jdbcUrl, String table) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    Map<String, long[]> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT doc_key, revision, doc FROM " + table)) {
      while (rs.next()) {
        out.put(
            rs.getString(1),
            new long[] {rs.getLong(2), mapper.readTree(rs.getString(3)).get("seq").asLong()});
      }
    }
    return out;
  }

  static void awaitTrue(
      BooleanSupplierWithException condition, Duration timeout, ChildProcess child)
      throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            "not reached within "
                + timeout
                + "; "
                + child.name()
                + " said:\n"
                + child.outputText());
      }
      Thread.sleep(250);
    }
  }

  /** A {@link BooleanSupplier} that may throw, for conditions read from a database. */
  interface BooleanSupplierWithException {
    boolean getAsBoolean() throws Exception;
  }
}
