package dev.exactly.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class JsonSerdeTest {
  record Order(String id, long cents) {}

  @Test
  void aRecordRoundTripsAndUnknownPropertiesAreIgnored() {
    byte[] json = JsonSerde.<Order>serializer().serialize("orders", new Order("o-1", 1250));
    assertThat(new String(json, StandardCharsets.UTF_8))
        .isEqualTo("{\"id\":\"o-1\",\"cents\":1250}");
    assertThat(JsonSerde.deserializer(Order.class).deserialize("orders", json))
        .isEqualTo(new Order("o-1", 1250));
    byte[] newer =
        "{\"id\":\"o-2\",\"cents\":5,\"currency\":\"EUR\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(JsonSerde.deserializer(Order.class).deserialize("orders", newer))
        .isEqualTo(new Order("o-2", 5));
  }

  @Test
  void genericTypesAndTombstones() {
    byte[] json = "[{\"id\":\"a\",\"cents\":1}]".getBytes(StandardCharsets.UTF_8);
    assertThat(JsonSerde.deserializer(new TypeReference<List<Order>>() {}).deserialize("t", json))
        .containsExactly(new Order("a", 1));
    assertThat(JsonSerde.deserializer(Order.class).deserialize("t", null)).isNull();
    assertThat(JsonSerde.serializer().serialize("t", null)).isNull();
  }

  @Test
  void aValueThatDoesNotParseIsASerializationExceptionNamingTopicAndType() {
    byte[] broken = "{\"id\":\"o-1\",\"cents\":".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> JsonSerde.deserializer(Order.class).deserialize("orders", broken))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("the value in orders is not a JSON " + Order.class.getName());
  }
}
