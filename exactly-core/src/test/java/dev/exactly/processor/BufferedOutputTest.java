package dev.exactly.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class BufferedOutputTest {
  private final BufferedOutput<String, String> out =
      new BufferedOutput<>(new StringSerializer(), new StringSerializer());

  @Test
  void keepsEachOutputSerializedWithItsPlaceAndHeaders() {
    out.reset(7);
    out.send("a", "k", "v");
    out.send("b", 2, null, "w", List.of(new RecordHeader("h", bytes("x"))));
    out.close();

    assertThat(out.batch()).isEqualTo(7);
    assertThat(out.outputs()).hasSize(2);
    BufferedOutput.Serialized first = out.outputs().get(0);
    assertThat(first.topic()).isEqualTo("a");
    assertThat(first.partition()).isNull();
    assertThat(first.key()).isEqualTo(bytes("k"));
    assertThat(first.value()).isEqualTo(bytes("v"));
    assertThat(first.headers().toArray()).isEmpty();
    BufferedOutput.Serialized second = out.outputs().get(1);
    assertThat(second.partition()).isEqualTo(2);
    assertThat(second.key()).isNull();
    assertThat(second.headers().lastHeader("h").value()).isEqualTo(bytes("x"));
  }

  @Test
  void theNextInputStartsWithNoOutputs() {
    out.reset(1);
    out.send("a", "k", "v");
    out.close();
    out.reset(2);

    assertThat(out.outputs()).isEmpty();
    assertThat(out.batch()).isEqualTo(2);
  }

  @Test
  void refusesASendAfterItsCallReturned() {
    out.reset(1);
    out.close();

    assertThatThrownBy(() -> out.send("a", "k", "v"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("outside the process call");
    assertThat(out.outputs()).isEmpty();
  }

  @Test
  void refusesASendFromAnotherThreadDuringItsCall() throws Exception {
    out.reset(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread other =
        new Thread(
            () -> {
              try {
                out.send("a", "k", "v");
              } catch (Throwable t) {
                failure.set(t);
              }
            });
    other.start();
    other.join();

    assertThat(failure.get())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("another thread");
    assertThat(out.outputs()).isEmpty();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
