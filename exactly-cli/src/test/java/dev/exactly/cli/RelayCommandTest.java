package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TestDirectories;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.Effect;
import dev.exactly.testkit.check.EffectSource;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.InputGenerator;
import dev.exactly.testkit.check.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code exactly relay} in its own process, SIGKILLed at random while the test writes rows. */
class RelayCommandTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final int ROWS = 1_200;
  private static final int KILLS = 3;

  @Test
  void killedAndRestartedEveryRowIsPublishedExactlyOnce() throws Exception {
    String bootstrap = KAFKA.broker().bootstrapServers();
    String topic = "relay-cli";
    KAFKA.broker().createTopic(topic, 3);
    String url =
        "jdbc:h2:file:"
            + TestDirectories.newDirectory("relay-cli").resolve("db")
            + ";AUTO_SERVER=TRUE;WRITE_DELAY=0";
    Outbox outbox = Outbox.builder().table("cli_outbox").build();
    try (Connection c = DriverManager.getConnection(url)) {
      outbox.createTableIfAbsent(c);
    }
    List<Input> inputs = InputGenerator.generate(ROWS, 40, 5);
    // The rows arrive over about 12 s, in committed transactions of 25, while relays are killed.
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = DriverManager.getConnection(url)) {
                c.setAutoCommit(false);
                for (int i = 0; i < inputs.size(); i++) {
                  Input in = inputs.get(i);
                  outbox.write(
                      c,
                      topic,
                      in.key().getBytes(StandardCharsets.UTF_8),
                      RecordCodec.encodeInput(in, ""));
                  if (i % 25 == 24) {
                    c.commit();
                    Thread.sleep(250);
                  }
                }
                c.commit();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            "outbox-writer");
    writer.start();
    List<String> args =
        List.of(
            "relay",
            "--bootstrap-server",
            bootstrap,
            "--jdbc-url",
            url,
            "--table",
            "cli_outbox",
            "--metrics-port",
            "0");
    Random random = new Random(3);
    for (int i = 0; i < KILLS; i++) {
      try (ChildProcess relay = child("relay-kill-" + i, args)) {
        relay.awaitOutput("relay: published", Duration.ofSeconds(60));
        Thread.sleep(300 + random.nextInt(1500));
        relay.kill();
      }
    }
    writer.join();
    String output;
    try (ChildProcess relay = child("relay-final", args)) {
      relay.awaitOutput("relay: published", Duration.ofSeconds(60));
      SinkCommandCrash.awaitTrue(
          () -> TopicReader.readCommitted(bootstrap, topic).size() >= ROWS,
          Duration.ofSeconds(60),
          relay);
      Thread.sleep(1000); // room for a wrong extra record to appear
      relay.terminate();
      assertThat(relay.awaitExit(Duration.ofSeconds(45))).as(relay.outputText()).isZero();
      output = relay.outputText();
    }
    assertThat(output).contains("metrics at http://127.0.0.1:").contains("relay: stopped");
    new ExactlyOnceChecker(inputs)
        .check(
            new EffectSource() {
              @Override
              public String name() {
                return "topic " + topic + " (read_committed)";
              }

              @Override
              public List<Effect> read() {
                List<Effect> effects = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r :
                    TopicReader.readCommitted(bootstrap, topic)) {
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
            })
        .assertExactlyOnce();
  }

  private static ChildProcess child(String name, List<String> args) {
    return ChildProcess.builder(Main.class).name(name).jvmArgs("-Xmx160m").args(args).start();
  }
}
