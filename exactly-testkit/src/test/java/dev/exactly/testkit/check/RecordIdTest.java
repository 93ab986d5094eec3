package dev.exactly.testkit.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class RecordIdTest {
  private static ConsumerRecord<byte[], byte[]> record(String key, String value) {
    ConsumerRecord<byte[], byte[]> r =
        new ConsumerRecord<>(
            "t",
            0,
            7,
            key == null ? null : key.getBytes(StandardCharsets.UTF_8),
            value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    r.headers().add("trace", "x".getBytes(StandardCharsets.UTF_8));
    r.headers().add("event-id", "e-1".getBytes(StandardCharsets.UTF_8));
    return r;
  }

  @Test
  void readsTheValueTheKeyAHeaderOrAJsonField() {
    ConsumerRecord<byte[], byte[]> r = record("k-1", "{\"order\":{\"id\":\"o-9\",\"n\":42}}");
    assertThat(RecordId.parse("value").of(r)).contains("{\"order\":{\"id\":\"o-9\",\"n\":42}}");
    assertThat(RecordId.parse("key").of(r)).contains("k-1");
    assertThat(RecordId.parse("header:event-id").of(r)).contains("e-1");
    assertThat(RecordId.parse("json:/order/id").of(r)).contains("o-9");
    assertThat(RecordId.parse("json:/order/n").of(r)).contains("42");
  }

  @Test
  void aRecordWithoutTheIdHasNone() {
    assertThat(RecordId.parse("key").of(record(null, "v"))).isEmpty();
    assertThat(RecordId.parse("value").of(record("k", null))).isEmpty();
    assertThat(RecordId.parse("header:missing").of(record("k", "v"))).isEmpty();
    assertThat(RecordId.parse("json:/id").of(record("k", "not json {"))).isEmpty();
    assertThat(RecordId.parse("json:/id").of(record("k", "{\"other\":1}"))).isEmpty();
    assertThat(RecordId.parse("json:/id").of(record("k", "{\"id\":null}"))).isEmpty();
  }

  @Test
  void aBadSpecNamesItselfAndTheAcceptedForms() {
    for (String bad : List.of("", "values", "header:", "json:id", "json:")) {
      assertThatThrownBy(() -> RecordId.parse(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'")
          .hasMessageContaining("value, key, header:NAME or json:/pointer");
    }
  }
}
