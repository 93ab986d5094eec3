package dev.exactly.jdbc.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.internal.Metric;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** Every bad setting fails in build(), naming the key, the value and the fix. */
class DbSinkBuilderTest {

  private static DbSinkBuilder<String, String> valid(Map<String, Object> kafka) {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:builder");
    return DbSink.<String, String>builder()
        .kafkaProperties(kafka)
        .groupId("g")
        .topics("orders")
        .deserializers(new StringDeserializer(), new StringDeserializer())
        .dataSource(ds)
        .handler((records, connection) -> {});
  }

  private static Map<String, Object> kafka(String key, Object value) {
    Map<String, Object> m = new HashMap<>(Map.of("bootstrap.servers", "127.0.0.1:9092"));
    if (key != null) {
      m.put(key, value);
    }
    return m;
  }

  private static void refused(
      UnaryOperator<DbSinkBuilder<String, String>> change, String key, String... words) {
    assertThatThrownBy(() -> change.apply(valid(kafka(null, null))).build())
        .isInstanceOf(ConfigurationException.class)
        .satisfies(e -> assertThat(((ConfigurationException) e).key()).isEqualTo(key))
        .hasMessageContainingAll(words);
  }

  @Test
  void validSettingsBuildASinkInStateCreated() {
    DbSink<String, String> sink = valid(kafka(null, null)).build();
    assertThat(sink.state()).isEqualTo(ComponentState.CREATED);
    assertThat(sink.close(Duration.ofSeconds(1))).isTrue();
    assertThat(sink.state()).isEqualTo(ComponentState.CLOSED);
    assertThatThrownBy(sink::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CLOSED");
  }

  @Test
  void autoCommitIsRefused() {
    assertThatThrownBy(() -> valid(kafka("enable.auto.commit", "true")).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("enable.auto.commit=true")
        .hasMessageContaining("set false");
  }

  @Test
  void readUncommittedIsRefused() {
    assertThatThrownBy(() -> valid(kafka("isolation.level", "read_uncommitted")).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("isolation.level=read_uncommitted");
  }

  @Test
  void deserializerClassesAreRefused() {
    assertThatThrownBy(
            () -> valid(kafka("value.deserializer", StringDeserializer.class.getName())).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("value.deserializer")
        .hasMessageContaining("dead-letter");
  }

  @Test
  void autoOffsetResetNoneIsRefused() {
    assertThatThrownBy(() -> valid(kafka("auto.offset.reset", "none")).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("auto.offset.reset=none");
  }

  @Test
  void conflictingGroupIdsAreRefused() {
    assertThatThrownBy(() -> valid(kafka("group.id", "other")).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("group.id=other")
        .hasMessageContaining("sink.groupId g");
  }

  @Test
  void badSettingsNameTheirKey() {
    refused(
        b -> b.offsetTable("offsets; DROP TABLE x"), "sink.offsetTable", "plain SQL identifier");
    refused(b -> b.handler(null), "sink.handler", "required");
    refused(b -> b.jdbcUrl("jdbc:h2:mem:x"), "sink.dataSource", "exactly one");
    refused(b -> b.maxBatchRecords(0), "sink.maxBatchRecords", "=0");
    refused(b -> b.maxBatchBytes(10), "sink.maxBatchBytes", "=10");
    refused(b -> b.deadLetterTopic("orders"), "sink.deadLetterTopic", "source topic itself");
    refused(b -> b.deadLetterTopic(" "), "sink.deadLetterTopic", "blank");
    refused(b -> b.pollTimeout(Duration.ZERO), "sink.pollTimeout", "positive");
    refused(b -> b.groupId(null), "sink.groupId", "required");
    refused(b -> b.instanceId("a b"), "sink.instanceId", "letters");
  }

  @Test
  void theSinkRegistersExactlyTheCataloguesSinkMetersWithTheCommonTags() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DbSink<String, String> sink =
        valid(kafka(null, null)).meterRegistry(registry).instanceId("node-1").build();
    try {
      assertThat(registry.getMeters().stream().map(m -> m.getId().getName()).distinct())
          .containsExactlyInAnyOrderElementsOf(
              Metric.of(Metric.C.SINK).stream().map(Metric::meterName).toList());
      for (Meter m : registry.getMeters()) {
        assertThat(m.getId().getTag("component")).isEqualTo(Metric.C.SINK);
        assertThat(m.getId().getTag("group")).isEqualTo("g");
        assertThat(m.getId().getTag("instance")).isEqualTo("node-1");
      }
    } finally {
      sink.close(Duration.ofSeconds(1));
    }
  }

  @Test
  void aSetterCalledTwiceKeepsTheLastValue() {
    // "orders" is no longer an input topic once the second topics(...) replaced the first.
    DbSink<String, String> sink =
        valid(kafka(null, null))
            .topics("orders")
            .topics("payments")
            .deadLetterTopic("orders")
            .build();
    assertThat(sink.close(Duration.ofSeconds(1))).isTrue();
    refused(b -> b.instanceId("first").instanceId("not valid"), "sink.instanceId", "not valid");
  }
}
