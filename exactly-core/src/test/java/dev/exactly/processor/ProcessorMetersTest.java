package dev.exactly.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.internal.Metric;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** The processor registers exactly its catalogue meters, with the common tags. */
class ProcessorMetersTest {

  private static ExactlyOnceProcessor.Builder<String, String, byte[], byte[]> builder() {
    return ExactlyOnceProcessor.builder(Map.of("bootstrap.servers", "127.0.0.1:1"))
        .groupId("orders")
        .instanceId("node-1")
        .input("in", new StringDeserializer(), new StringDeserializer())
        .process((r, o) -> {});
  }

  @Test
  void theProcessorRegistersExactlyItsCatalogueMetersTaggedWithComponentGroupAndInstance() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    builder().meterRegistry(registry).build();
    assertThat(
            registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet()))
        .isEqualTo(
            Metric.of(Metric.C.PROCESSOR).stream()
                .map(Metric::meterName)
                .collect(Collectors.toSet()));
    for (Meter m : registry.getMeters()) {
      assertThat(m.getId().getTag("component")).isEqualTo("processor");
      assertThat(m.getId().getTag("group")).isEqualTo("orders");
      assertThat(m.getId().getTag("instance")).isEqualTo("node-1");
      assertThat(m.getId().getDescription()).isNotBlank();
    }
  }

  @Test
  void withoutARegistryTheMetersGoToAPrivateOneNeverTheGlobalOne() {
    int global = Metrics.globalRegistry.getMeters().size();
    ProcessorEngine<?, ?, ?, ?> p = (ProcessorEngine<?, ?, ?, ?>) builder().build();
    assertThat(p.meterRegistry()).isNotSameAs(Metrics.globalRegistry);
    assertThat(p.meterRegistry().getMeters().stream().map(m -> m.getId().getName()).distinct())
        .hasSize(Metric.of(Metric.C.PROCESSOR).size());
    assertThat(Metrics.globalRegistry.getMeters()).hasSize(global);
  }
}
