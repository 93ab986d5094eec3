package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TestDirectories;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.TopicWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code exactly sink} as a user runs it: its own process, a real broker, an H2 file. */
class SinkCommandTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static String h2(String name) {
    return "jdbc:h2:file:"
        + TestDirectories.newDirectory(name).resolve("db")
        + ";AUTO_SERVER=TRUE;WRITE_DELAY=0";
  }

  private static String[] sinkArgs(String topic, String url, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "sink",
                "--bootstrap-server",
                KAFKA.broker().bootstrapServers(),
                "--from",
                topic,
                "--group",
                "g-" + topic,
                "--table",
                "docs",
                "--key",
                "/order/id",
                "--jdbc-url",
                url));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  private static KafkaProducer<String, String> producer() {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers(),
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
  }

  private static String doc(int i) {
    return "{\"order\":{\"id\":\"o" + (i % 40) + "\"},\"n\":" + i + "}";
  }

  @Test
  void sigtermWhileRecordsFlowExitsZeroAfterCommittingWhatItHandled() throws Exception {
    String topic = "sink-term";
    KAFKA.broker().createTopic(topic, 2);
    String url = h2("sink-term");
    AtomicBoolean stop = new AtomicBoolean();
    List<Integer> sent = new ArrayList<>();
    Thread producer =
        new Thread(
            () -> {
              try (KafkaProducer<String, String> p = producer()) {
                List<ProducerRecord<String, String>> bad =
                    List.of(
                        new ProducerRecord<>(topic, "bad-1", "not json {"),
                        new ProducerRecord<>(topic, "bad-2", "{\"order\":{}}"));
                TopicWriter.sendAll(p, bad);
                for (int i = 0; !stop.get(); i++) {
                  TopicWriter.sendAll(p, List.of(new ProducerRecord<>(topic, "o" + i, doc(i))));
                  sent.add(i);
                  Thread.sleep(5);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    producer.start();
    String output;
    try (ChildProcess sink =
        ChildProcess.builder(Main.class)
            .name("sink-term")
            .jvmArgs("-Xmx160m")
            .args(sinkArgs(topic, url, "--metrics-port", "0"))
            .start()) {
      sink.awaitOutput("dead-lettered 2", Duration.ofSeconds(60));
      Thread.sleep(1500);
      sink.terminate();
      assertThat(sink.awaitExit(Duration.ofSeconds(45))).as(sink.outputText()).isZero();
      output = sink.outputText();
    } finally {
      stop.set(true);
      producer.join();
    }
    assertThat(output).contains("metrics at http://127.0.0.1:").contains("sink: stopped");
    // The last progress line, printed after the close: what the process committed in the end.
    Matcher last =
        Pattern.compile("sink: handled (\\d+), committed (\\d+), dead-lettered (\\d+)")
            .matcher(output);
    long committed = -1;
    long deadLettered = -1;
    while (last.find()) {
      committed = Long.parseLong(last.group(2));
      deadLettered = Long.parseLong(last.group(3));
    }
    assertThat(committed).as(output).isPositive();
    assertThat(deadLettered).isEqualTo(2);
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      ResultSet rows = s.executeQuery("SELECT SUM(revision) FROM docs");
      rows.next();
      assertThat(rows.getLong(1)).as("rows applied = records committed").isEqualTo(committed);
      ResultSet offsets =
          s.executeQuery(
              "SELECT SUM(next_offset) FROM exactly_sink_offsets WHERE group_id = 'g-"
                  + topic
                  + "'");
      offsets.next();
      assertThat(offsets.getLong(1))
          .as("the offsets stored are past every committed and dead-lettered record, no further")
          .isEqualTo(committed + deadLettered);
    }
    List<ConsumerRecord<byte[], byte[]>> dead =
        TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic + ".dlt");
    assertThat(dead).hasSize(2);
    assertThat(dead)
        .extracting(r -> header(r, DeadLetterHeaders.EXCEPTION_MESSAGE))
        .anySatisfy(m -> assertThat(m).contains("not JSON"))
        .anySatisfy(m -> assertThat(m).contains("no key at /order/id"));
    assertThat(dead)
        .extracting(r -> header(r, DeadLetterHeaders.REASON))
        .containsOnly("deserialization");
  }

  @Test
  void aLaterRecordReplacesTheRowAndARerunChangesNothing() throws Exception {
    String topic = "sink-upsert";
    KAFKA.broker().createTopic(topic, 1);
    String url = h2("sink-upsert");
    try (KafkaProducer<String, String> p = producer()) {
      TopicWriter.sendAll(
          p,
          List.of(
              new ProducerRecord<>(topic, "a", "{\"order\":{\"id\":\"A\"},\"v\":1}"),
              new ProducerRecord<>(topic, "b", "{\"order\":{\"id\":7},\"v\":1}"),
              new ProducerRecord<>(topic, "a", "{\"order\":{\"id\":\"A\"},\"v\":2}")));
    }
    for (int run = 0; run < 2; run++) {
      try (ChildProcess sink =
          ChildProcess.builder(Main.class)
              .name("sink-upsert-" + run)
              .jvmArgs("-Xmx160m")
              .args(sinkArgs(topic, url))
              .start()) {
        sink.awaitOutput("claimed [", Duration.ofSeconds(60));
        SinkCommandCrash.awaitTrue(
            () -> SinkCommandCrash.revisions(url, "docs") >= 3, Duration.ofSeconds(30), sink);
        Thread.sleep(1000);
        sink.terminate();
        assertThat(sink.awaitExit(Duration.ofSeconds(45))).as(sink.outputText()).isZero();
      }
    }
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT doc_key, doc, revision, source_topic, source_partition, source_offset"
                    + " FROM docs ORDER BY doc_key")) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(
            rs.getString(1)
                + "|"
                + rs.getString(2)
                + "|"
                + rs.getLong(3)
                + "|"
                + rs.getString(4)
                + "-"
                + rs.getInt(5)
                + "@"
                + rs.getLong(6));
      }
      assertThat(rows)
          .containsExactly(
              "7|{\"order\":{\"id\":7},\"v\":1}|1|sink-upsert-0@1",
              "A|{\"order\":{\"id\":\"A\"},\"v\":2}|2|sink-upsert-0@2");
    }
  }

  @Test
  void badOptionsFailAtStartNamingTheOptionTheValueAndTheFix() {
    assertUsage(
        "'--table'",
        "not a plain SQL identifier",
        with(sinkArgs("t", "jdbc:h2:mem:x"), "--table", "x;y"));
    assertUsage(
        "'--key'", "starting with /", with(sinkArgs("t", "jdbc:h2:mem:x"), "--key", "orderId"));
    assertUsage("'--jdbc-url'", "jdbc:postgresql://", sinkArgs("t", "jdbc:oracle:thin:@h:1/x"));
    assertUsage("'--metrics-port'", "", sinkArgs("t", "jdbc:h2:mem:x", "--metrics-port", "x"));
    assertUsage(
        "'--metrics-port'",
        "use 0 to 65535",
        sinkArgs("t", "jdbc:h2:mem:x", "--metrics-port", "70000"));
    assertUsage(
        "'--table'",
        "not a plain SQL identifier",
        "relay",
        "--bootstrap-server",
        "127.0.0.1:1",
        "--jdbc-url",
        "jdbc:h2:mem:x",
        "--table",
        "drop table");
    assertUsage("--jdbc-url", "", "relay", "--bootstrap-server", "127.0.0.1:1");
  }

  /** {@code args} with the value after {@code option} replaced. */
  private static String[] with(String[] args, String option, String value) {
    String[] out = args.clone();
    out[List.of(out).indexOf(option) + 1] = value;
    return out;
  }

  private static void assertUsage(String option, String fix, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Main.execute(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    String said = err.toString(StandardCharsets.UTF_8);
    assertThat(code).as(said + out).isEqualTo(Main.USAGE);
    assertThat(said).contains(option).contains(fix);
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
