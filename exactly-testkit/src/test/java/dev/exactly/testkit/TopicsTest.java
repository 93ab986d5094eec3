package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The library's topic helper on a real broker. */
class TopicsTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void createsWhatIsMissingOnceAndLeavesExistingTopicsAlone() throws Exception {
    Map<String, Object> props = Map.of("bootstrap.servers", KAFKA.broker().bootstrapServers());
    KAFKA.broker().createTopic("topics-old", 1);
    assertThat(Topics.createIfAbsent(props, 4, "topics-a", "topics-old", "topics-a.dlt"))
        .containsExactly("topics-a", "topics-a.dlt");
    assertThat(Topics.createIfAbsent(props, 4, "topics-a")).isEmpty();
    try (Admin admin = Admin.create(props)) {
      Map<String, TopicDescription> d =
          admin.describeTopics(List.of("topics-a", "topics-old")).allTopicNames().get();
      assertThat(d.get("topics-a").partitions()).hasSize(4);
      assertThat(d.get("topics-old").partitions()).as("left as it was").hasSize(1);
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, "topics-a");
      assertThat(
              admin
                  .describeConfigs(List.of(r))
                  .all()
                  .get()
                  .get(r)
                  .get("min.insync.replicas")
                  .value())
          .as("one broker: min.insync.replicas 1, not a topic nobody can write")
          .isEqualTo("1");
    }
    assertThatThrownBy(() -> Topics.createIfAbsent(props, 0, "topics-b"))
        .hasMessageContaining("topics-b: partitions must be at least 1");
  }
}
