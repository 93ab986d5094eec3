package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.ExternalService;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code exactly verify} against a real broker: clean outputs pass, and every kind of violation is
 * found and named, not only signalled by the exit code.
 */
class VerifyCommandTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final int IDS = 20;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /** id-i with key k(i % 4) on partition (i % 4) % 2, as JSON {"id": ..., "n": i}. */
  private static ProducerRecord<String, String> record(String topic, int i) {
    int key = i % 4;
    return new ProducerRecord<>(
        topic, key % 2, "k" + key, "{\"id\":\"id-" + i + "\",\"n\":" + i + "}");
  }

  private static List<ProducerRecord<String, String>> records(String topic, int... ids) {
    List<ProducerRecord<String, String>> out = new ArrayList<>();
    for (int i : ids) {
      out.add(record(topic, i));
    }
    return out;
  }

  private static int[] range(int n) {
    return java.util.stream.IntStream.range(0, n).toArray();
  }

  /** Creates input and output topics, writes IDS inputs, and returns the input topic's name. */
  private static String input(String name) {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic(name + "-in", 2);
    kafka.createTopic(name + "-out", 2);
    transaction(true, records(name + "-in", range(IDS)));
    return name + "-in";
  }

  private static void transaction(boolean commit, List<ProducerRecord<String, String>> records) {
    try (KafkaProducer<String, String> p =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KAFKA.broker().bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "verify-test-" + UUID.randomUUID(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class))) {
      p.initTransactions();
      p.beginTransaction();
      for (ProducerRecord<String, String> r : records) {
        p.send(r);
      }
      if (commit) {
        p.commitTransaction();
      } else {
        p.flush();
        p.abortTransaction();
      }
    }
  }

  private int verify(String name, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "verify",
                "--bootstrap-server",
                KAFKA.broker().bootstrapServers(),
                "--input",
                name + "-in",
                "--id",
                "json:/id",
                "--settle",
                "1s"));
    if (!List.of(more).contains("--timeout")) {
      args.addAll(List.of("--timeout", "10s"));
    }
    args.addAll(List.of(more));
    return run(args.toArray(String[]::new));
  }

  private int run(String... args) {
    out.reset();
    err.reset();
    int code =
        Main.execute(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    System.out.println(String.join(" ", args) + "\n=> " + code + "\n" + out() + err());
    return code;
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anOutputWithEveryInputOnceInOrderPasses() {
    input("clean");
    transaction(true, records("clean-out", range(IDS)));
    assertThat(verify("clean", "--output", "clean-out")).isZero();
    assertThat(out())
        .containsPattern("records\\s+20")
        .containsPattern("effects\\s+20")
        .containsPattern("lost\\s+0")
        .containsPattern("duplicated\\s+0")
        .containsPattern("reordered\\s+0")
        .contains("verdict: EXACTLY-ONCE: 20 ids, each took effect once in 1 output(s)");
  }

  @Test
  void aDuplicateIsReportedWithItsCount() {
    input("dup");
    transaction(true, records("dup-out", range(IDS)));
    transaction(true, records("dup-out", 5, 5));
    KAFKA.broker().createTopic("dup-out2", 2);
    transaction(true, records("dup-out2", range(IDS)));
    assertThat(verify("dup", "--output", "dup-out2", "--output", "dup-out")).isEqualTo(1);
    assertThat(out())
        .containsPattern("output topic dup-out2 \\(read_committed\\)\\s+EXACTLY-ONCE")
        .containsPattern("output topic dup-out \\(read_committed\\)\\s+VIOLATED")
        .containsPattern("duplicated\\s+1\\s+\\(2 extra effects\\)")
        .containsPattern("lost\\s+0")
        .contains("e.g. duplicated: id-5 x3 [dup-out-1@")
        .contains("verdict: VIOLATED in 1 of 2 output(s)");
  }

  @Test
  void aLostInputIsReported() {
    input("lost");
    List<ProducerRecord<String, String>> all = records("lost-out", range(IDS));
    all.remove(7);
    transaction(true, all);
    assertThat(verify("lost", "--output", "lost-out")).isEqualTo(1);
    assertThat(out())
        .containsPattern("lost\\s+1")
        .containsPattern("duplicated\\s+0")
        .containsPattern("reordered\\s+0")
        .contains("e.g. lost: id-7");
  }

  @Test
  void anIdThatWasNeverInputIsUnexpected() {
    input("unexp");
    List<ProducerRecord<String, String>> all = records("unexp-out", range(IDS));
    all.add(record("unexp-out", 99));
    transaction(true, all);
    assertThat(verify("unexp", "--output", "unexp-out")).isEqualTo(1);
    assertThat(out()).containsPattern("unexpected\\s+1").contains("e.g. unexpected: id-99 at");
  }

  @Test
  void aKeyWhoseInputsTookEffectOutOfOrderIsReordered() {
    input("order");
    // id-0, id-4, id-8... are key k0; id-4 before id-0 breaks k0's order.
    int[] swapped = range(IDS);
    swapped[0] = 4;
    swapped[4] = 0;
    transaction(true, records("order-out", swapped));
    assertThat(verify("order", "--output", "order-out")).isEqualTo(1);
    assertThat(out())
        .containsPattern("reordered\\s+1")
        .containsPattern("lost\\s+0")
        .containsPattern("duplicated\\s+0")
        .contains("e.g. reordered: key k0: sequence 0 (id-0) took effect after 1 (id-4)");
    assertThat(verify("order", "--output", "order-out", "--order-by", "none")).isZero();
    assertThat(out()).containsPattern("reordered\\s+not checked");
  }

  @Test
  void anAbortedTransactionIsReportedAndFailsOnlyWhenAsked() {
    input("abort");
    transaction(true, records("abort-out", range(10)));
    transaction(false, records("abort-out", 3, 11));
    transaction(true, records("abort-out", 10, 11, 12, 13, 14, 15, 16, 17, 18, 19));
    assertThat(verify("abort", "--output", "abort-out")).isZero();
    assertThat(out())
        .containsPattern("aborted\\s+2\\s+\\(not a violation\\)")
        .containsPattern("duplicated\\s+0")
        .containsPattern("effects\\s+20")
        .contains("e.g. aborted: abort-out-1@6 id-3")
        .contains("verdict: EXACTLY-ONCE");
    assertThat(verify("abort", "--output", "abort-out", "--fail-on-aborted")).isEqualTo(1);
    assertThat(out()).containsPattern("aborted\\s+2\\n").contains("VIOLATED");
  }

  @Test
  void aPartitionHeldBackByAnOpenTransactionIsStuck() throws Exception {
    input("stuck");
    transaction(true, records("stuck-out", range(IDS)));
    try (ChildProcess child =
        ChildProcess.builder(HangingProducerMain.class)
            .name("verify-hanging-producer")
            .args(KAFKA.broker().bootstrapServers(), "stuck-out", "exactly-processor-stuck")
            .start()) {
      child.awaitOutput("OPEN", Duration.ofSeconds(60));
      child.kill();
    }
    assertThat(verify("stuck", "--output", "stuck-out")).isEqualTo(1);
    assertThat(out())
        .containsPattern("stuck partitions\\s+1")
        .containsPattern("lost\\s+0")
        .containsPattern(
            "e.g. stuck: stuck-out-0 LSO 11 < end 14 held by transaction"
                + " 'exactly-processor-stuck'")
        .contains("open from offset 11");
  }

  @Test
  void aTableOutputIsCheckedFromItsQuery() throws Exception {
    input("table");
    String url = "jdbc:h2:mem:verify;DB_CLOSE_DELAY=-1";
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE effects (seq INT PRIMARY KEY, id VARCHAR(40))");
      for (int i = 0; i < IDS; i++) {
        s.execute("INSERT INTO effects VALUES (" + i + ", 'id-" + i + "')");
      }
    }
    String query = "SELECT id FROM effects ORDER BY seq";
    assertThat(verify("table", "--jdbc-url", url, "--query", query)).isZero();
    assertThat(out())
        .contains("output table jdbc:h2:mem:verify")
        .containsPattern("effects\\s+20")
        .containsPattern("reordered\\s+not checked");

    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO effects VALUES (20, 'id-2')");
      s.execute("UPDATE effects SET seq = 100 WHERE id = 'id-1'");
    }
    assertThat(verify("table", "--jdbc-url", url, "--query", query)).isEqualTo(1);
    assertThat(out())
        .containsPattern("duplicated\\s+1\\s+\\(1 extra effects\\)")
        .contains("e.g. duplicated: id-2 x2")
        .containsPattern("reordered\\s+not checked");
    assertThat(verify("table", "--jdbc-url", url, "--query", query, "--order-by", "key"))
        .isEqualTo(1);
    assertThat(out())
        .containsPattern("reordered\\s+1")
        .contains("e.g. reordered: key k1: sequence 0 (id-1) took effect after");

    assertThat(verify("table", "--jdbc-url", url, "--query", "SELECT id FROM nowhere"))
        .isEqualTo(2);
    assertThat(err()).contains("could not check: the query on jdbc:h2:mem:verify failed");
  }

  @Test
  void aPostgreSqlQueryOutputNamesTheWriterOfEachDuplicate() throws Exception {
    ExternalService.POSTGRESQL.assumeAvailable();
    input("pg");
    String url = ExternalService.POSTGRESQL.url();
    String table = "verify_effects_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE "
              + table
              + " (seq BIGINT GENERATED ALWAYS AS IDENTITY, id TEXT, writer TEXT)");
      for (int i = 0; i < IDS; i++) {
        if (i != 11) {
          s.execute("INSERT INTO " + table + " (id, writer) VALUES ('id-" + i + "', 'node-1')");
        }
      }
      s.execute("INSERT INTO " + table + " (id, writer) VALUES ('id-4', 'node-2')");
      try {
        String query = "SELECT id, writer FROM " + table + " ORDER BY seq";
        assertThat(verify("pg", "--jdbc-url", url, "--query", query, "--order-by", "key"))
            .isEqualTo(1);
        assertThat(out())
            .contains("output table jdbc:postgresql://127.0.0.1:5432/test ")
            .containsPattern("lost\\s+1")
            .contains("e.g. lost: id-11")
            .containsPattern("duplicated\\s+1\\s+\\(1 extra effects\\)")
            .contains("e.g. duplicated: id-4 x2")
            .contains("by node-2")
            .containsPattern("reordered\\s+0");
      } finally {
        s.execute("DROP TABLE " + table);
      }
    }
  }

  @Test
  void jsonHoldsTheSameNumbers() throws Exception {
    input("json");
    List<ProducerRecord<String, String>> all = records("json-out", range(IDS));
    all.remove(3);
    all.add(record("json-out", 8));
    transaction(true, all);
    transaction(false, records("json-out", 1));
    assertThat(verify("json", "--output", "json-out", "--json")).isEqualTo(1);
    JsonNode doc = new ObjectMapper().readTree(out());
    assertThat(doc.get("verdict").asText()).isEqualTo("violated");
    assertThat(doc.get("exitCode").asInt()).isEqualTo(1);
    assertThat(doc.at("/input/records").asInt()).isEqualTo(IDS);
    assertThat(doc.at("/input/ids").asInt()).isEqualTo(IDS);
    JsonNode o = doc.get("outputs").get(0);
    assertThat(o.get("source").asText()).isEqualTo("topic json-out (read_committed)");
    assertThat(o.get("exactlyOnce").asBoolean()).isFalse();
    assertThat(o.get("inputs").asInt()).isEqualTo(IDS);
    assertThat(o.get("effects").asInt()).isEqualTo(IDS);
    assertThat(o.get("lost").asInt()).isEqualTo(1);
    assertThat(o.get("duplicated").asInt()).isEqualTo(1);
    assertThat(o.get("duplicateEffects").asInt()).isEqualTo(1);
    assertThat(o.get("unexpected").asInt()).isZero();
    assertThat(o.get("aborted").asInt()).isEqualTo(1);
    assertThat(o.at("/examples/lost/0").asText()).isEqualTo("id-3");
    assertThat(o.at("/examples/duplicated/0").asText()).startsWith("id-8 x2");
    assertThat(o.get("stuckPartitions")).isEmpty();
  }

  @Test
  void anIdTheInputHoldsTwiceIsReportedAsTheInputsOwn() {
    input("repeat");
    transaction(true, records("repeat-in", 6));
    transaction(true, records("repeat-out", range(IDS)));
    assertThat(verify("repeat", "--output", "repeat-out", "--order-by", "none")).isZero();
    assertThat(out())
        .containsPattern("records\\s+21")
        .containsPattern("ids\\s+20")
        .containsPattern("repeated ids\\s+1")
        .contains("e.g. repeated id: id-6 x2")
        .containsPattern("duplicated\\s+0");
  }

  @Test
  void theCommandConfigReachesTheClientsAndItsSecretsAreNotPrinted(@TempDir Path dir)
      throws Exception {
    input("config");
    transaction(true, records("config-out", range(IDS)));
    Path good = dir.resolve("good.properties");
    Files.writeString(good, "client.id=verify-test\nrequest.timeout.ms=5000\n");
    assertThat(verify("config", "--output", "config-out", "--command-config", good.toString()))
        .isZero();
    Path sasl = dir.resolve("sasl.properties");
    Files.writeString(
        sasl,
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
            + "org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"u\" password=\"s3cret-value\";\n");
    // The broker speaks plaintext: a SASL client cannot get through, so the check cannot be made.
    assertThat(
            verify(
                "config",
                "--output",
                "config-out",
                "--command-config",
                sasl.toString(),
                "--timeout",
                "3s"))
        .isEqualTo(2);
    assertThat(err()).contains("could not check").doesNotContain("s3cret-value");
    assertThat(out()).doesNotContain("s3cret-value");
    assertThat(verify("config", "--output", "config-out", "--command-config", "/nonexistent.props"))
        .isEqualTo(2);
    assertThat(err()).contains("--command-config /nonexistent.props cannot be read");
  }

  @Test
  void aMissingTopicCannotBeChecked() throws Exception {
    input("missing");
    assertThat(verify("missing", "--output", "no-such-topic")).isEqualTo(2);
    assertThat(err()).contains("topic(s) [no-such-topic] do not exist");
    assertThat(verify("missing", "--output", "no-such-topic", "--json")).isEqualTo(2);
    assertThat(new ObjectMapper().readTree(out()).get("verdict").asText())
        .isEqualTo("could-not-check");
  }

  @Test
  void anUnreachableClusterCannotBeChecked() {
    long start = System.nanoTime();
    assertThat(
            run(
                "verify",
                "--bootstrap-server",
                "127.0.0.1:1",
                "--input",
                "a",
                "--output",
                "b",
                "--id",
                "value",
                "--timeout",
                "2s"))
        .isEqualTo(2);
    assertThat(err()).contains("cannot reach the cluster at 127.0.0.1:1 within 2s");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void badOptionsAreUsageErrors() {
    String[] base = {"verify", "--bootstrap-server", "127.0.0.1:1", "--input", "a"};
    assertThat(run(concat(base, "--output", "b", "--id", "header:"))).isEqualTo(2);
    assertThat(err()).contains("--id 'header:' does not say where the id is");
    assertThat(run(concat(base, "--id", "value"))).isEqualTo(2);
    assertThat(err()).contains("give at least one output");
    assertThat(run(concat(base, "--id", "value", "--jdbc-url", "jdbc:h2:mem:x"))).isEqualTo(2);
    assertThat(err()).contains("--jdbc-url needs --query");
    assertThat(run(concat(base, "--output", "b", "--id", "key", "--order-by", "json:x")))
        .isEqualTo(2);
    assertThat(err()).contains("--order-by 'json:x'");
  }

  private static String[] concat(String[] a, String... b) {
    List<String> all = new ArrayList<>(List.of(a));
    all.addAll(List.of(b));
    return all.toArray(String[]::new);
  }
}
