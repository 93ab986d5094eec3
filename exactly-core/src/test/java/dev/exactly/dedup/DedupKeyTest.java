package dev.exactly.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class DedupKeyTest {
  record Order(String id, int cents) {}

  private static <V> ConsumerRecord<String, V> record(V value) {
    return new ConsumerRecord<>("orders", 2, 41, "k", value);
  }

  @Test
  void fromValueReadsTheGetter() {
    DedupKey key = DedupKey.fromValue(Order.class, Order::id);
    assertThat(key.keyOf(record(new Order("order-7", 100)))).isEqualTo("order-7");
    DedupKey cents = DedupKey.fromValue(Order.class, Order::cents);
    assertThat(cents.keyOf(record(new Order("order-7", 100)))).isEqualTo("100");
  }

  @Test
  void fromValueRefusesAnotherTypeANullValueAndANullKeyNamingTheFix() {
    DedupKey key = DedupKey.fromValue(Order.class, Order::id);
    assertThatThrownBy(() -> key.keyOf(record("text")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.String, not a " + Order.class.getName())
        .hasMessageContaining("value deserializer");
    assertThatThrownBy(() -> key.keyOf(record(null))).hasMessageContaining("the value is null");
    assertThatThrownBy(() -> key.keyOf(record(new Order(null, 1))))
        .hasMessageContaining("returned null");
  }

  @Test
  void topicPartitionOffsetKeysAReDrivenDeadLetterByItsOriginal() {
    ConsumerRecord<String, String> original = record("v");
    assertThat(DedupKey.topicPartitionOffset().keyOf(original)).isEqualTo("orders-2@41");
    ConsumerRecord<String, String> redriven = new ConsumerRecord<>("orders", 0, 900, "k", "v");
    redriven.headers().add(DeadLetterHeaders.TOPIC, bytes("orders"));
    redriven.headers().add(DeadLetterHeaders.PARTITION, bytes("2"));
    redriven.headers().add(DeadLetterHeaders.OFFSET, bytes("41"));
    assertThat(DedupKey.topicPartitionOffset().keyOf(redriven)).isEqualTo("orders-2@41");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
