package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

class GroupProtocolTest {
  @Test
  void putsTheValueAUserWritesIntoMapsAndProperties() {
    Map<String, Object> map = GroupProtocol.CONSUMER.applyTo(new HashMap<>());
    Properties props = GroupProtocol.CLASSIC.applyTo(new Properties());

    assertThat(map).containsEntry("group.protocol", "consumer");
    assertThat(props).containsEntry("group.protocol", "classic");
    assertThat(GroupProtocol.of("Consumer")).isEqualTo(GroupProtocol.CONSUMER);
  }

  /** Why tests tune the session under CLASSIC only: the new protocol's client refuses it. */
  @Test
  void theConsumerProtocolRefusesAClientSideSession() {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", "127.0.0.1:9");
    props.put("group.id", "g");
    props.put("session.timeout.ms", 6000);
    GroupProtocol.CONSUMER.applyTo(props);

    assertThatThrownBy(
            () ->
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                    .close())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("session.timeout.ms");
  }
}
