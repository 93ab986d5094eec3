package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.TopicWriter;
import dev.exactly.testkit.check.CheckReport;
import dev.exactly.testkit.check.Effect;
import dev.exactly.testkit.check.EffectSource;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.InputGenerator;
import dev.exactly.testkit.check.RecordCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class CopyCommandTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static int run(StringWriter out, String... args) {
    CommandLine cl = new CommandLine(new CopyCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(out, true));
    return cl.execute(args);
  }

  @Test
  void untilEndCopiesKeysValuesHeadersAndPartitionsThenStops() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("copy-src", 3);
    kafka.createTopic("copy-dst", 3);
    try (KafkaProducer<String, String> p =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (int i = 0; i < 900; i++) {
        RecordHeaders h = new RecordHeaders();
        h.add("trace", ("t" + i).getBytes(StandardCharsets.UTF_8));
        // Explicit partitions unrelated to the key: the copy must keep them, not re-hash.
        records.add(
            new ProducerRecord<>(
                "copy-src", i % 3, "k" + (i % 7), i % 50 == 0 ? null : "v" + i, h));
      }
      TopicWriter.sendAll(p, records);
    }
    StringWriter out = new StringWriter();
    int code =
        run(
            out,
            "--bootstrap-server",
            kafka.bootstrapServers(),
            "--from",
            "copy-src",
            "--to",
            "copy-dst",
            "--group",
            "copy-g",
            "--until-end");

    assertThat(code).as(out.toString()).isZero();
    assertThat(out.toString()).contains("copied 900 records from copy-src to copy-dst");
    assertThat(describe(TopicReader.readCommitted(kafka.bootstrapServers(), "copy-dst")))
        .containsExactlyElementsOf(
            describe(TopicReader.readCommitted(kafka.bootstrapServers(), "copy-src")));

    StringWriter again = new StringWriter();
    assertThat(
            run(
                again,
                "--bootstrap-server",
                kafka.bootstrapServers(),
                "--from",
                "copy-src",
                "--to",
                "copy-dst",
                "--group",
                "copy-g",
                "--until-end"))
        .isZero();
    assertThat(again.toString()).as("a second run finds nothing new").contains("copied 0 records");
  }

  @Test
  void refusesATargetWithFewerPartitions() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("narrow-src", 4);
    kafka.createTopic("narrow-dst", 2);
    StringWriter out = new StringWriter();
    int code =
        run(
            out,
            "--bootstrap-server",
            kafka.bootstrapServers(),
            "--from",
            "narrow-src",
            "--to",
            "narrow-dst",
            "--group",
            "narrow-g",
            "--until-end");
    assertThat(code).isEqualTo(2);
    assertThat(out.toString()).contains("narrow-dst has 2 partitions").contains("at least 4");
  }

  @Test
  void createsAMissingDeadLetterTopicOnAClusterThatDoesNotAutoCreateAndSendsARefusedRecordThere()
      throws Exception {
    try (EmbeddedKafka kafka =
        EmbeddedKafka.builder().brokerProperty("auto.create.topics.enable", "false").start()) {
      kafka.createTopic("big-src", 2);
      // The output refuses records over 2,000 bytes: such a record would abort every transaction
      // it is in, so the copy gives it to the dead-letter topic and carries on.
      kafka.createTopic("big-dst", 2, Map.of("max.message.bytes", "2000"));
      try (KafkaProducer<String, String> p =
          new KafkaProducer<>(
              Map.of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                  ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                  ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          records.add(new ProducerRecord<>("big-src", i % 2, "k" + i, "v" + i));
        }
        records.add(new ProducerRecord<>("big-src", 1, "huge", "x".repeat(5000)));
        TopicWriter.sendAll(p, records);
      }
      StringWriter out = new StringWriter();
      int code =
          run(
              out,
              "--bootstrap-server",
              kafka.bootstrapServers(),
              "--from",
              "big-src",
              "--to",
              "big-dst",
              "--group",
              "big-g",
              "--dead-letter-topic",
              "big-refused",
              "--until-end");

      assertThat(code).as(out.toString()).isZero();
      assertThat(out.toString())
          .contains("created dead-letter topic big-refused (2 partitions like big-src")
          .contains("copied 41 records from big-src to big-dst")
          .containsPattern("copy: handled \\d+, committed batches \\d+, dead-lettered 1");
      assertThat(TopicReader.readCommitted(kafka.bootstrapServers(), "big-dst")).hasSize(40);
      List<ConsumerRecord<byte[], byte[]>> dead =
          TopicReader.readCommitted(kafka.bootstrapServers(), "big-refused");
      assertThat(dead).hasSize(1);
      assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("huge");
      assertThat(
              new String(
                  dead.get(0).headers().lastHeader(DeadLetterHeaders.EXCEPTION_MESSAGE).value(),
                  StandardCharsets.UTF_8))
          .contains("over the 2000 bytes that big-dst accepts");
    }
  }

  /**
   * Under both group protocols: with KIP-848's {@code consumer} protocol a restarted static member
   * finds its {@code group.instance.id} still held by the killed one until that session times out.
   */
  @ParameterizedTest
  @ValueSource(strings = {"classic", "consumer"})
  void killedAndRestartedItCarriesOnExactlyOnce(String protocol, @TempDir Path dir)
      throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    String src = "kill-src-" + protocol;
    String dst = "kill-dst-" + protocol;
    kafka.createTopic(src, 4);
    kafka.createTopic(dst, 4);
    List<Input> inputs = InputGenerator.generate(20_000, 200, 9);
    Thread producer =
        new Thread(() -> InputGenerator.produce(kafka.bootstrapServers(), src, inputs, 30, 2000));
    producer.start();
    Path config = Files.writeString(dir.resolve("client.properties"), "group.protocol=" + protocol);
    String[] args = {
      "--bootstrap-server",
      kafka.bootstrapServers(),
      "--from",
      src,
      "--to",
      dst,
      "--group",
      "kill-g-" + protocol,
      "--command-config",
      config.toString()
    };
    for (int i = 0; i < 3; i++) {
      try (ChildProcess copier =
          ChildProcess.builder(CopyMain.class)
              .name("copy-" + i)
              .jvmArgs("-Xmx128m")
              .args(args)
              .start()) {
        copier.awaitOutput(": assigned [" + src, Duration.ofSeconds(60));
        Thread.sleep(1500 + 700L * i);
        copier.kill();
      }
    }
    producer.join();
    StringWriter out = new StringWriter();
    List<String> finish = new ArrayList<>(List.of(args));
    finish.add("--until-end");
    assertThat(run(out, finish.toArray(String[]::new))).as(out.toString()).isZero();

    CheckReport report =
        new ExactlyOnceChecker(inputs)
            .check(
                new EffectSource() {
                  @Override
                  public String name() {
                    return "topic " + dst + " (read_committed)";
                  }

                  @Override
                  public List<Effect> read() {
                    List<Effect> effects = new ArrayList<>();
                    for (ConsumerRecord<byte[], byte[]> r :
                        TopicReader.readCommitted(kafka.bootstrapServers(), dst)) {
                      effects.add(
                          new Effect(
                              RecordCodec.decodeInput(r.value()).id(),
                              "",
                              r.topic() + "-" + r.partition() + "@" + r.offset()));
                    }
                    return effects;
                  }

                  @Override
                  public boolean keepsOrder() {
                    return true;
                  }
                });
    report.assertExactlyOnce();
  }

  private static List<String> describe(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream()
        .map(
            r ->
                r.partition()
                    + "|"
                    + new String(r.key(), StandardCharsets.UTF_8)
                    + "|"
                    + (r.value() == null ? "null" : new String(r.value(), StandardCharsets.UTF_8))
                    + "|"
                    + new String(r.headers().lastHeader("trace").value(), StandardCharsets.UTF_8))
        .sorted()
        .toList();
  }
}
