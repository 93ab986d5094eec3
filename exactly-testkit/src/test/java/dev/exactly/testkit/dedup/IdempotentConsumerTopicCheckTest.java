package dev.exactly.testkit.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The idempotent consumer's topic checks at start, on a broker that auto-creates topics (its
 * default): a mistyped input topic is refused rather than created, and a missing dead-letter topic
 * is refused unless createTopics(true) asks for it.
 */
class IdempotentConsumerTopicCheckTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static IdempotentConsumer.Builder<String, String> consumer(String topic) {
    return IdempotentConsumer.builder(KAFKA.broker().clientProperties())
        .groupId(topic + "-group")
        .input(topic, new StringDeserializer(), new StringDeserializer())
        .store(InMemoryDedupStore.create(100))
        .handler(r -> {});
  }

  private static Set<String> topics() throws Exception {
    try (Admin admin = Admin.create(KAFKA.broker().clientProperties())) {
      return admin.listTopics().names().get();
    }
  }

  @Test
  void aMistypedInputTopicIsRefusedWithTheClosestNamesAndNotCreated() throws Exception {
    KAFKA.broker().createTopic("payments", 2);
    KAFKA.broker().createTopic("payments.dlt", 2);
    IdempotentConsumer c = consumer("paymnets").build();
    assertThatThrownBy(c::start)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("dedup.input=paymnets does not exist")
        .hasMessageContaining("did you mean payments")
        .hasMessageContaining("requireExistingTopics(false)");
    assertThat(c.state()).isEqualTo(ComponentState.FAILED);
    assertThat(topics()).doesNotContain("paymnets");
  }

  @Test
  void aMissingDeadLetterTopicIsRefusedNamingTheSettingThatCreatesIt() throws Exception {
    KAFKA.broker().createTopic("refunds", 3);
    IdempotentConsumer c = consumer("refunds").build();
    assertThatThrownBy(c::start)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("dedup.deadLetterTopic=refunds.dlt does not exist")
        .hasMessageContaining("3 partitions")
        .hasMessageContaining("dedup.createTopics(true)");
    assertThat(topics()).doesNotContain("refunds.dlt");

    IdempotentConsumer created = consumer("refunds").createTopics(true).build().start();
    try {
      assertThat(created.state()).isNotEqualTo(ComponentState.FAILED);
      try (Admin admin = Admin.create(KAFKA.broker().clientProperties())) {
        // A topic just created may not be in the broker's metadata yet (UnknownTopicOrPartition).
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .untilAsserted(
                () ->
                    assertThat(
                            admin
                                .describeTopics(List.of("refunds.dlt"))
                                .allTopicNames()
                                .get()
                                .get("refunds.dlt")
                                .partitions())
                        .hasSize(3));
      }
    } finally {
      assertThat(created.close(Duration.ofSeconds(30))).isTrue();
    }
  }

  @Test
  void requireExistingTopicsFalseStartsAndWaitsForTheTopic() {
    KAFKA.broker().createTopic("later.dlt", 1);
    IdempotentConsumer c = consumer("later").requireExistingTopics(false).build().start();
    try {
      assertThat(c.state()).isIn(ComponentState.STARTING, ComponentState.RUNNING);
    } finally {
      assertThat(c.close(Duration.ofSeconds(30))).isTrue();
    }
  }
}
