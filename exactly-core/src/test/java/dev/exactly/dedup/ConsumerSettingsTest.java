package dev.exactly.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ConfigurationException;
import dev.exactly.RetryPolicy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

class ConsumerSettingsTest {

  private static IdempotentConsumer.Builder<String, String> builder(Map<String, Object> props) {
    return IdempotentConsumer.builder(props)
        .groupId("g")
        .input("in", new StringDeserializer(), new StringDeserializer())
        .store(InMemoryDedupStore.create(10))
        .handler(r -> {});
  }

  private static Map<String, Object> props() {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", "127.0.0.1:1");
    return p;
  }

  @Test
  void aGivenInstanceIdIsTheStaticGroupMemberAHostNameIsNot() {
    assertThat(ConsumerSettings.from(builder(props()).instanceId("pod-3")).consumerProperties())
        .containsEntry("group.instance.id", "pod-3");
    assertThat(ConsumerSettings.from(builder(props())).consumerProperties())
        .as("the host-name default is not unique enough to be a static member")
        .doesNotContainKey("group.instance.id");
    Map<String, Object> own = props();
    own.put("group.instance.id", "member-9");
    assertThat(ConsumerSettings.from(builder(own).instanceId("pod-3")).consumerProperties())
        .containsEntry("group.instance.id", "member-9");
  }

  @Test
  void theDefaultLeaseIsTenSeconds() {
    assertThat(ConsumerSettings.from(builder(props())).lease()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void retriesLongerThanTheLeaseAreAcceptedSinceTheLeaseIsRenewed() {
    RetryPolicy minutes = new RetryPolicy(10, Duration.ofSeconds(30), Duration.ofMinutes(2), 2.0);
    assertThat(
            ConsumerSettings.from(builder(props()).lease(Duration.ofSeconds(2)).retry(minutes))
                .lease())
        .isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aLeaseUnderOneSecondFailsAtBuildNamingKeyValueAndFix() {
    assertThatThrownBy(() -> ConsumerSettings.from(builder(props()).lease(Duration.ofMillis(500))))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("dedup.lease")
        .hasMessageContaining("PT0.5S")
        .hasMessageContaining("at least PT1S");
  }
}
