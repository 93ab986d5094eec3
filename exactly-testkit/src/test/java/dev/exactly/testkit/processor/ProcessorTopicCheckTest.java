package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The start-up check of the processor's topics, on a broker that does not auto-create topics (the
 * case where a missing dead-letter topic used to make the processor retry a bad record forever).
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
    ExactlyOnceProcessor.Builder<String, String, String, String> b =
        ExactlyOnceProcessor.builder(Map.of("bootstrap.servers", kafka.bootstrapServers()))
            .groupId(name + "-group")
            .instanceId("a")
            .input(name + "-in", new StringDeserializer(), new StringDeserializer())
            .output(new StringSerializer(), new StringSerializer())
            .process((record, out) -> out.send(name + "-out", record.key(), record.value()));
    return (dlt == null ? b : b.deadLetterTopic(dlt)).build();
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
        .hasMessageContaining("deadLetterTopic(...)");
    assertThat(p.state()).isEqualTo(ComponentState.CREATED);

    // The fix works: once the topic exists, the same processor starts.
    kafka.createTopic("nodlt-in.dlt", 4);
    p.start();
    try {
      // STARTING until its first assignment, then RUNNING.
      await().atMost(Duration.ofSeconds(60)).until(() -> p.state() == ComponentState.RUNNING);
    } finally {
      assertThat(p.close(Duration.ofSeconds(30))).isTrue();
    }
    assertThat(p.state()).isEqualTo(ComponentState.CLOSED);
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
  void aMissingInputTopicFailsStartToo() {
    kafka.createTopic("noinput-dlt", 1);
    ExactlyOnceProcessor p = processor("noinput", "noinput-dlt");
    assertThatThrownBy(p::start)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("processor.input=noinput-in");
  }
}
