package dev.exactly.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class HeldOutputsTest {
  private final HeldOutputs held = new HeldOutputs();

  @Test
  void givesBackEveryFieldInOrderAndForgetsThem() {
    RecordHeaders headers = new RecordHeaders();
    headers.add("h", bytes("v"));
    List<ProducerRecord<byte[], byte[]>> in =
        List.of(
            new ProducerRecord<>("a", null, (Long) null, bytes("k1"), bytes("v1"), headers),
            new ProducerRecord<>("b", 3, null, bytes("v2")),
            new ProducerRecord<>("a", null, (Long) null, bytes("k3"), (byte[]) null),
            new ProducerRecord<>("c", 0, (Long) null, new byte[0], new byte[0]));
    in.forEach(this::add);
    assertThat(held.bytes()).isEqualTo(4 + 2 + 2 + 0);

    List<ProducerRecord<byte[], byte[]>> out = drain();

    assertThat(out).hasSize(in.size());
    for (int i = 0; i < in.size(); i++) {
      ProducerRecord<byte[], byte[]> a = in.get(i);
      ProducerRecord<byte[], byte[]> b = out.get(i);
      assertThat(b.topic()).isEqualTo(a.topic());
      assertThat(b.partition()).isEqualTo(a.partition());
      assertThat(b.timestamp()).isEqualTo(a.timestamp());
      assertThat(b.headers().toArray()).containsExactly(a.headers().toArray());
      assertThat(b.key()).isEqualTo(a.key());
      assertThat(b.value()).isEqualTo(a.value());
    }
    assertThat(held.isEmpty()).isTrue();
    assertThat(held.bytes()).isZero();
    assertThat(drain()).isEmpty();
  }

  @Test
  void copiesKeysAndValuesSoTheCallerMayReuseItsArrays() {
    byte[] value = bytes("before");
    add(new ProducerRecord<>("t", value));
    value[0] = 'X';

    assertThat(drain().get(0).value()).isEqualTo(bytes("before"));
  }

  @Test
  void spansManyChunksAndReusesThemForTheNextBatch() {
    int count = 3 * HeldOutputs.CHUNK_BYTES / 1000 + 7; // a little over three chunks of 1 KB values
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < count; i++) {
        add(new ProducerRecord<>("t", bytes("k" + i), value(i, 1000)));
      }
      List<ProducerRecord<byte[], byte[]>> out = drain();
      assertThat(out).hasSize(count);
      for (int i = 0; i < count; i++) {
        assertThat(out.get(i).key()).isEqualTo(bytes("k" + i));
        assertThat(out.get(i).value()).isEqualTo(value(i, 1000));
      }
    }
  }

  @Test
  void isFullAtItsByteBoundAndEmptyAgainOnceDrained() {
    byte[] value = value(7, 64 * 1024);
    while (held.bytes() + value.length < HeldOutputs.MAX_BYTES) {
      add(new ProducerRecord<>("t", value));
      assertThat(held.full()).isFalse();
    }
    add(new ProducerRecord<>("t", value));

    assertThat(held.full()).isTrue();
    drain();
    assertThat(held.full()).isFalse();
  }

  @Test
  void keepsALargeRecordWhole() {
    ProducerRecord<byte[], byte[]> large =
        new ProducerRecord<>("t", value(1, HeldOutputs.CHUNK_BYTES / 2));
    add(new ProducerRecord<>("t", bytes("small")));
    add(large);
    add(new ProducerRecord<>("t", bytes("after")));
    assertThat(held.bytes()).isEqualTo(5 + HeldOutputs.CHUNK_BYTES / 2 + 5);

    List<ProducerRecord<byte[], byte[]>> out = drain();

    assertThat(out.get(1).value()).isSameAs(large.value());
    assertThat(out.get(0).value()).isEqualTo(bytes("small"));
    assertThat(out.get(2).value()).isEqualTo(bytes("after"));
  }

  @Test
  void forgetsEverythingWhenTheSinkFails() {
    add(new ProducerRecord<>("t", bytes("1")));
    add(new ProducerRecord<>("t", bytes("2")));

    assertThatThrownBy(
            () ->
                held.drainTo(
                    r -> {
                      throw new IllegalStateException("refused");
                    }))
        .hasMessage("refused");

    assertThat(held.isEmpty()).isTrue();
    add(new ProducerRecord<>("t", bytes("3")));
    assertThat(drain()).extracting(ProducerRecord::value).containsExactly(bytes("3"));
  }

  private void add(ProducerRecord<byte[], byte[]> r) {
    held.add(r.topic(), r.partition(), r.key(), r.value(), r.headers());
  }

  private List<ProducerRecord<byte[], byte[]>> drain() {
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    held.drainTo(out::add);
    return out;
  }

  private static byte[] value(int seed, int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (seed * 31 + i);
    }
    return b;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
