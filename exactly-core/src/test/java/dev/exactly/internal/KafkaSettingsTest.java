package dev.exactly.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ConfigurationException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaSettingsTest {

  @Test
  void requiredSettingIsAddedWhenAbsentAndAcceptedWhenEqual() {
    KafkaSettings s =
        new KafkaSettings(Map.of("isolation.level", "READ_COMMITTED"), "exactly-once")
            .require("isolation.level", "read_committed", "outputs of aborted attempts are hidden")
            .require("enable.auto.commit", false, "offsets commit in the transaction");
    assertThat(s.toMap()).containsEntry("enable.auto.commit", false);
  }

  @Test
  void contradictionNamesKeyValueAndFix() {
    assertThatThrownBy(
            () ->
                new KafkaSettings(Map.of("enable.auto.commit", "true"), "exactly-once")
                    .require("enable.auto.commit", false, "offsets commit in the transaction"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(
            "enable.auto.commit=true contradicts exactly-once: offsets commit in the transaction;"
                + " remove the setting or set false");
  }

  @Test
  void secretsAreMasked() {
    assertThat(
            KafkaSettings.masked(
                Map.of(
                    "sasl.jaas.config", "x required password=\"p\";",
                    "ssl.truststore.password", "p",
                    "bootstrap.servers", "b:9092")))
        .containsEntry("sasl.jaas.config", "[hidden]")
        .containsEntry("ssl.truststore.password", "[hidden]")
        .containsEntry("bootstrap.servers", "b:9092");
  }

  @Test
  void aClientOfAnotherKindGetsEverythingButTheInterceptors() {
    Map<String, Object> user =
        Map.of(
            "bootstrap.servers", "b:9092",
            "security.protocol", "SASL_SSL",
            "interceptor.classes", "com.example.TracingConsumerInterceptor");

    assertThat(KafkaSettings.forOtherClient(user))
        .containsOnly(
            Map.entry("bootstrap.servers", "b:9092"), Map.entry("security.protocol", "SASL_SSL"));
    assertThat(user).containsKey("interceptor.classes");
  }
}
