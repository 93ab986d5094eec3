package dev.exactly.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

  @Test
  void aConsumedRecordCarriesEveryHeaderAndKeepsItsOwn() {
    RecordHeaders original = new RecordHeaders();
    original.add("trace", bytes("t-1"));
    original.add(DeadLetterHeaders.REASON, bytes("stale, from an earlier dead letter"));
    ConsumerRecord<byte[], byte[]> raw =
        new ConsumerRecord<>(
            "orders",
            3,
            42L,
            1_700_000_000_000L,
            TimestampType.CREATE_TIME,
            1,
            2,
            bytes("k"),
            bytes("v"),
            original,
            Optional.empty());

    ProducerRecord<byte[], byte[]> dlt =
        DeadLetters.ofRecord(
            "orders.dlt",
            raw,
            DeadLetterReason.RETRIES_EXHAUSTED,
            new IllegalStateException("gateway down"),
            3);

    assertThat(dlt.topic()).isEqualTo("orders.dlt");
    assertThat(dlt.key()).isEqualTo(bytes("k"));
    assertThat(dlt.value()).isEqualTo(bytes("v"));
    assertThat(dlt.partition()).isNull();
    assertThat(headers(dlt))
        .containsEntry("trace", "t-1")
        .containsEntry(DeadLetterHeaders.TOPIC, "orders")
        .containsEntry(DeadLetterHeaders.PARTITION, "3")
        .containsEntry(DeadLetterHeaders.OFFSET, "42")
        .containsEntry(DeadLetterHeaders.TIMESTAMP, "1700000000000")
        .containsEntry(DeadLetterHeaders.EXCEPTION_CLASS, "java.lang.IllegalStateException")
        .containsEntry(DeadLetterHeaders.EXCEPTION_MESSAGE, "gateway down")
        .containsEntry(DeadLetterHeaders.ATTEMPTS, "3")
        .containsEntry(DeadLetterHeaders.REASON, "retries-exhausted");
    assertThat(dlt.headers().headers(DeadLetterHeaders.REASON)).hasSize(1);
  }

  @Test
  void anOutboxRowNamesItsIdAndDestinationNotAnOriginalTopic() {
    RecordHeaders rowHeaders = new RecordHeaders();
    rowHeaders.add("correlation-id", bytes("c-9"));
    ProducerRecord<byte[], byte[]> dlt =
        DeadLetters.ofOutboxRow(
            "outbox.dlt",
            17L,
            "notifications",
            bytes("k"),
            bytes("v"),
            rowHeaders,
            1_700_000_000_123L,
            DeadLetterReason.REFUSED_BY_KAFKA,
            new org.apache.kafka.common.errors.RecordTooLargeException(),
            1);

    assertThat(headers(dlt))
        .containsEntry("correlation-id", "c-9")
        .containsEntry(DeadLetterHeaders.OUTBOX_ID, "17")
        .containsEntry(DeadLetterHeaders.DESTINATION_TOPIC, "notifications")
        .containsEntry(DeadLetterHeaders.TIMESTAMP, "1700000000123")
        .containsEntry(
            DeadLetterHeaders.EXCEPTION_CLASS,
            "org.apache.kafka.common.errors.RecordTooLargeException")
        .containsEntry(DeadLetterHeaders.EXCEPTION_MESSAGE, "")
        .containsEntry(DeadLetterHeaders.ATTEMPTS, "1")
        .containsEntry(DeadLetterHeaders.REASON, "refused-by-kafka")
        .doesNotContainKey(DeadLetterHeaders.TOPIC);
  }

  @Test
  void aDeadLetterWasTriedAtLeastOnce() {
    ConsumerRecord<byte[], byte[]> raw = new ConsumerRecord<>("t", 0, 0L, bytes("k"), bytes("v"));
    assertThatThrownBy(
            () ->
                DeadLetters.ofRecord(
                    "t.dlt", raw, DeadLetterReason.DESERIALIZATION, new RuntimeException(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least once");
  }

  @Test
  void theDeadLetterProducerTakesConnectionSettingsButNotTheUsersClientChoices() {
    Map<String, Object> user = new HashMap<>();
    user.put("bootstrap.servers", "b:9092");
    user.put("security.protocol", "SASL_SSL");
    user.put("interceptor.classes", "com.example.ConsumerInterceptor");
    user.put("transactional.id", "tx");
    user.put("group.id", "g");
    user.put("key.serializer", "x");

    Map<String, Object> p = DeadLetters.producerProperties(user, "sink-dlt");

    assertThat(p)
        .containsEntry("bootstrap.servers", "b:9092")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("enable.idempotence", true)
        .containsEntry("acks", "all")
        .containsEntry("client.id", "sink-dlt")
        .doesNotContainKeys(
            "interceptor.classes", "transactional.id", "group.id", "key.serializer");
  }

  @Test
  void reasonCodesRoundTrip() {
    for (DeadLetterReason r : DeadLetterReason.values()) {
      assertThat(DeadLetterReason.ofCode(r.code())).isEqualTo(r);
    }
    assertThatThrownBy(() -> DeadLetterReason.ofCode("nope"))
        .hasMessageContaining("retries-exhausted");
  }

  private static Map<String, String> headers(ProducerRecord<byte[], byte[]> r) {
    Map<String, String> out = new HashMap<>();
    for (Header h : r.headers()) {
      out.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
