package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The start-up check of the processor's topics, on a broker that does not auto-create topics (where
 * a missing dead-letter topic would make the processor retry a bad record forever): a refusal names
 * the topic and the fix, and leaves the processor FAILED.
 */
class ProcessorTopicCheckTest {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.builder().brokerProperty("auto.create.topics.enable", "false").start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  private static ExactlyOnceProcessor processor(String name, String dlt) {
    return builder(name, dlt).build();
  }

  private static ExactlyOnceProcessor.Builder<String, String, String, String> builder(
      String name, String dlt) {
    ExactlyOnceProcessor.Builder<String, String, String, String> b =
        ExactlyOnceProcessor.builder(Map.of("bootstrap.servers", kafka.bootstrapServers()))
            .groupId(name + "-group")
            .instanceId("a")
            .input(name + "-in", new StringDeserializer(), new StringDeserializer())
            .output(new StringSerializer(), new StringSerializer())
            .process((record, out) -> out.send(name + "-out", record.key(), record.value()));
    return dlt == null ? b : b.deadLetterTopic(dlt);
  }

  @Test
  void aMissingDeadLetterTopicFailsStartNamingTheTopicAndTheFix() throws Exception {
    kafka.createTopic("nodlt-in", 4);
    kafka.createTopic("nodlt-out", 4);
    ExactlyOnceProcessor p = processor("nodlt", null);
    assertThatThrownBy(p::start)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("nodlt-in.dlt")
        .hasMessageContaining("does not exist")
        .hasMessageContaining("4 partitions")
        .hasMessageContaining("deadLetterTopic(...)")
        .hasMessageContaining("processor.createTopics(true)");
    assertThat(p.state()).isEqualTo(ComponentState.FAILED);
    assertThat(p.failure()).get().isInstanceOf(ConfigurationException.class);

    // The fix works: asked to, a new processor creates the topic like its input, and starts.
    ExactlyOnceProcessor fixed = builder("nodlt", null).createTopics(true).build();
    fixed.start();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      assertThat(
              admin
                  .describeTopics(List.of("nodlt-in.dlt"))
                  .allTopicNames()
                  .get()
                  .get("nodlt-in.dlt")
                  .partitions())
          .hasSize(4);
    }
    try {
      // STARTING until its first assignment, then RUNNING.
      await().atMost(Duration.ofSeconds(60)).until(() -> fixed.state() == ComponentState.RUNNING);
    } finally {
      assertThat(fixed.close(Duration.ofSeconds(30))).isTrue();
    }
    assertThat(fixed.state()).isEqualTo(ComponentState.CLOSED);
  }

  @Test
  void aDeadLetterTopicGivenByNameMustExistToo() {
    kafka.createTopic("named-in", 2);
    ExactlyOnceProcessor p = processor("named", "named-dead-letters");
    assertThatThrownBy(p::start)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("processor.deadLetterTopic=named-dead-letters");
  }

  @Test
  void aMistypedInputTopicIsRefusedWithTheClosestNames() {
    kafka.createTopic("orders-in", 1);
    kafka.createTopic("orders-in.dlt", 1);
    ExactlyOnceProcessor p = processor("ordrs", "orders-in.dlt");
    assertThatThrownBy(p::start)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("processor.input=ordrs-in does not exist")
        .hasMessageContaining("did you mean orders-in?")
        .hasMessageContaining("processor.requireExistingTopics(false)");
    assertThat(p.state()).isEqualTo(ComponentState.FAILED);
  }

  @Test
  void aMissingInputTopicFailsStartToo() {
    kafka.createTopic("noinput-dlt", 1);
    ExactlyOnceProcessor p = processor("noinput", "noinput-dlt");
    assertThatThrownBy(p::start)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("processor.input=noinput-in");
  }
}
