package dev.exactly.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ComponentState;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The processor's life before it touches Kafka: the moves the common lifecycle allows it. */
class ProcessorStateTest {

  private static ExactlyOnceProcessor processor() {
    return ExactlyOnceProcessor.builder(Map.of("bootstrap.servers", "127.0.0.1:1"))
        .groupId("g")
        .instanceId("i")
        .input(
            "in",
            new org.apache.kafka.common.serialization.StringDeserializer(),
            new org.apache.kafka.common.serialization.StringDeserializer())
        .process((r, o) -> {})
        .build();
  }

  @Test
  void aBuiltProcessorIsCreatedWithNoFailure() {
    ExactlyOnceProcessor p = processor();
    assertThat(p.state()).isEqualTo(ComponentState.CREATED);
    assertThat(p.failure()).isEmpty();
  }

  @Test
  void closingAProcessorNeverStartedClosesItAtOnceForGood() throws Exception {
    ExactlyOnceProcessor p = processor();
    assertThat(p.close(Duration.ofSeconds(1))).isTrue();
    assertThat(p.state()).isEqualTo(ComponentState.CLOSED);
    assertThat(p.awaitTermination(Duration.ZERO)).isTrue();
    // CLOSED is final: the lifecycle refuses a start, naming the processor and both states.
    assertThatThrownBy(p::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("processor g/i")
        .hasMessageContaining("CLOSED");
    assertThat(p.close(Duration.ofSeconds(1))).isTrue();
    assertThat(p.state()).isEqualTo(ComponentState.CLOSED);
  }
}
