package dev.exactly.jdbc.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.TopicWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SIGKILLs idempotent consumers whose effect is a row in the dedup store's own PostgreSQL database,
 * while 2,000 records flow. Written in the transaction that completes the key, every key ends with
 * exactly one row, and at every kill the rows and the done keys are the same set. Written with a
 * connection of its own (the old way), a kill after the effect repeats the row.
 */
class TxDedupCrashTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final int RECORDS = 2000;
  private static final Duration LEASE = Duration.ofSeconds(3);
  private static final AtomicInteger RUNS = new AtomicInteger();

  @BeforeAll
  static void database() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  private final String run = "r" + ProcessHandle.current().pid() + "x" + RUNS.incrementAndGet();
  private final String topic = "txcrash-in-" + run;
  private final String group = "txcrash-g-" + run;
  private final String dedupTable = "txdedup_crash_" + run;
  private final String business = "txdedup_rows_" + run;

  @Test
  void inTheTransactionEveryKeyHasExactlyOneRowAcrossKills() throws Exception {
    produceInputs();
    String inside = idIn(crashAt("transactional", "after-effect", 30));
    // Killed inside its transaction: the row written there was never committed.
    assertThat(rowsOf(inside)).as("rows of " + inside + " right after the kill").isZero();
    assertRowsAreTheDoneKeys();
    String committed = idIn(crashAt("transactional", "after-complete", 45));
    assertThat(rowsOf(committed)).as("rows of " + committed + " right after the kill").isOne();
    assertRowsAreTheDoneKeys();
    killAtRandom("transactional", 42);
    assertRowsAreTheDoneKeys();
    String insideAgain = idIn(crashAt("transactional", "after-effect", 7));
    assertThat(rowsOf(insideAgain)).isZero();
    assertRowsAreTheDoneKeys();
    killAtRandom("transactional", 7);
    assertRowsAreTheDoneKeys();
    crashAt("transactional", "after-complete", 3);
    assertRowsAreTheDoneKeys();
    killAtRandom("transactional", 1234);
    assertRowsAreTheDoneKeys();
    finish("transactional");
    assertThat(duplicatedKeys()).as("keys with more than one row").isEmpty();
    assertThat(query("SELECT COUNT(DISTINCT record_key) FROM " + business)).isEqualTo(RECORDS);
    assertRowsAreTheDoneKeys();
    assertThat(doneKeys()).hasSize(RECORDS);
    for (String id : List.of(inside, committed, insideAgain)) {
      assertThat(rowsOf(id)).as("rows of " + id).isOne();
    }
  }

  /** The negative control: the same kill with the old way of writing repeats the row. */
  @Test
  void withItsOwnConnectionAKillAfterTheEffectRepeatsTheRow() throws Exception {
    produceInputs();
    String crashedId = idIn(crashAt("autocommit", "after-effect", 30));
    // The window: the row is committed, its key is not done.
    assertThat(rowsOf(crashedId)).isOne();
    assertThat(doneKeys()).doesNotContain(group + ":" + crashedId);
    finish("autocommit");
    Map<String, Integer> duplicated = duplicatedKeys();
    assertThat(duplicated).containsEntry(crashedId, 2);
    // Only records whose effect ran in the killed batch can repeat: at most one poll batch.
    assertThat(duplicated.size()).isBetween(1, 20);
  }

  private void produceInputs() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      // No unique key on purpose: a repeated effect must show as a second row, not an error.
      s.execute("CREATE TABLE " + business + " (record_key VARCHAR(64) NOT NULL, pid BIGINT)");
    }
    KAFKA.broker().createTopic(topic, 3);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (int i = 0; i < RECORDS; i++) {
        String id = "in-" + i;
        records.add(new ProducerRecord<>(topic, id, id));
      }
      TopicWriter.sendAll(producer, records);
    }
  }

  private ChildProcess child(String mode, String point, int at) {
    return ChildProcess.builder(TxDedupCrashChild.class)
        .name("txdedup-child-" + mode + "-" + point + "-" + at)
        .jvmArgs("-Xmx160m", "-XX:TieredStopAtLevel=1")
        .args(
            KAFKA.broker().bootstrapServers(),
            topic,
            group,
            ExternalService.POSTGRESQL.url(),
            dedupTable,
            business,
            mode,
            point,
            Integer.toString(at),
            Long.toString(LEASE.toMillis()))
        .start();
  }

  /** Runs a child until it reaches its crash point, then SIGKILLs it there. */
  private String crashAt(String mode, String point, int at) throws TimeoutException {
    try (ChildProcess c = child(mode, point, at)) {
      c.awaitOutput(TxDedupCrashChild.MARKER, Duration.ofSeconds(120));
      c.kill();
      String out = c.outputText();
      return out.substring(out.indexOf(TxDedupCrashChild.MARKER)).lines().findFirst().orElseThrow();
    }
  }

  /** Runs a child to a random moment of its work, counted in rows, and SIGKILLs it there. */
  private void killAtRandom(String mode, long seed) throws Exception {
    try (ChildProcess c = child(mode, "none", 0)) {
      c.awaitOutput(TxDedupCrashChild.STARTED, Duration.ofSeconds(60));
      int target = rows() + 1 + new Random(seed).nextInt(150);
      await()
          .atMost(Duration.ofSeconds(120))
          .failFast("the child died; see " + c.output(), () -> !c.isAlive())
          .pollInterval(Duration.ofMillis(2))
          .until(() -> rows() >= target);
      c.kill();
      assertThat(rows()).as("the random kill hit a consumer with inputs left").isLessThan(RECORDS);
    }
  }

  /** Runs a child with no crash until every input has its row. */
  private void finish(String mode) {
    try (ChildProcess c = child(mode, "none", 0)) {
      await()
          .atMost(Duration.ofSeconds(180))
          .failFast("the child died; see " + c.output(), () -> !c.isAlive())
          .pollInterval(Duration.ofMillis(200))
          .until(() -> doneKeys().size() == RECORDS);
    }
  }

  /** No key done without its row, no row without its key done: they commit together. */
  private void assertRowsAreTheDoneKeys() throws SQLException {
    Set<String> rowKeys = new HashSet<>();
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT DISTINCT record_key FROM " + business)) {
      while (rs.next()) {
        rowKeys.add(group + ":" + rs.getString(1));
      }
    }
    assertThat(doneKeys()).isEqualTo(rowKeys);
  }

  private Set<String> doneKeys() throws SQLException {
    Set<String> done = new HashSet<>();
    try (Connection c = connect();
        Statement s = c.createStatement();
        // state 2 is DONE (DedupTable); the table exists once the first child has started.
        ResultSet rs = s.executeQuery("SELECT dedup_key FROM " + dedupTable + " WHERE state = 2")) {
      while (rs.next()) {
        done.add(rs.getString(1));
      }
    }
    return done;
  }

  private Map<String, Integer> duplicatedKeys() throws SQLException {
    Map<String, Integer> out = new HashMap<>();
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT record_key, COUNT(*) FROM "
                    + business
                    + " GROUP BY record_key HAVING COUNT(*) > 1")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getInt(2));
      }
    }
    return out;
  }

  private static String idIn(String marker) {
    return marker.substring(marker.indexOf("id=") + 3).trim();
  }

  private int rowsOf(String id) throws SQLException {
    return query("SELECT COUNT(*) FROM " + business + " WHERE record_key = '" + id + "'");
  }

  private int rows() throws SQLException {
    return query("SELECT COUNT(*) FROM " + business);
  }

  private int query(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(ExternalService.POSTGRESQL.url());
  }
}
