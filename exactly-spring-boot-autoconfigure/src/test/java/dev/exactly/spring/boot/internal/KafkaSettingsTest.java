package dev.exactly.spring.boot.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

class KafkaSettingsTest {

  private static StandardEnvironment env(Map<String, Object> properties) {
    StandardEnvironment env = new StandardEnvironment();
    env.getPropertySources().addFirst(new MapPropertySource("test", properties));
    return env;
  }

  @Test
  void bootsConnectionSettingsPassThroughAndExactlysGoOverThem() {
    StandardEnvironment env =
        env(
            Map.of(
                "spring.kafka.bootstrap-servers", "a:9092,b:9092",
                "spring.kafka.security.protocol", "SASL_SSL",
                "spring.kafka.ssl.trust-store-location", "file:/etc/kafka/trust.jks",
                "spring.kafka.properties.sasl.mechanism", "SCRAM-SHA-512",
                "spring.kafka.consumer.enable-auto-commit", "true",
                "spring.kafka.client-id", "boot"));
    Map<String, Object> props = KafkaSettings.shared(env, Map.of("client.id", "exactly"));
    assertThat(props)
        .containsEntry("bootstrap.servers", "a:9092,b:9092")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("ssl.truststore.location", "/etc/kafka/trust.jks")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("client.id", "exactly")
        .doesNotContainKey("enable.auto.commit");
    assertThat(KafkaSettings.forComponent(props, Map.of("sasl.mechanism", "PLAIN")))
        .containsEntry("sasl.mechanism", "PLAIN")
        .containsEntry("bootstrap.servers", "a:9092,b:9092");
  }

  @Test
  void withoutBootsSettingsOnlyExactlysAreUsed() {
    assertThat(KafkaSettings.shared(env(Map.of()), Map.of("bootstrap.servers", "k:1")))
        .containsExactly(Map.entry("bootstrap.servers", "k:1"));
  }
}
