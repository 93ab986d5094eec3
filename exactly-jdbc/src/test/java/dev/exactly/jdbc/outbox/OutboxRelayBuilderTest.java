package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.internal.Metric;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** Bad settings fail in build(), naming the key, the value and the fix. */
class OutboxRelayBuilderTest {

  private static OutboxRelay.Builder valid() {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:builder");
    return OutboxRelay.builder()
        .dataSource(ds)
        .kafkaProperties(Map.of("bootstrap.servers", "127.0.0.1:1"));
  }

  private static void refused(UnaryOperator<OutboxRelay.Builder> change, String key, String text) {
    assertThatThrownBy(() -> change.apply(valid()).build())
        .isInstanceOf(ConfigurationException.class)
        .satisfies(e -> assertThat(((ConfigurationException) e).key()).isEqualTo(key))
        .hasMessageContaining(text);
  }

  @Test
  void aValidConfigurationBuildsAndStartsInCreated() {
    OutboxRelay relay = valid().build();
    assertThat(relay.state()).isEqualTo(ComponentState.CREATED);
    assertThat(relay.close(Duration.ofSeconds(1))).isTrue();
    assertThat(relay.state()).isEqualTo(ComponentState.CLOSED);
    assertThatThrownBy(relay::start).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theRelayRegistersExactlyTheCataloguedRelayMetersWithTheCommonTags() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    OutboxRelay relay = valid().name("orders").meterRegistry(meters).instanceId("pod-7").build();
    assertThat(meters.getMeters().stream().map(m -> m.getId().getName()).distinct())
        .containsExactlyInAnyOrderElementsOf(
            Metric.of(Metric.C.RELAY).stream().map(Metric::meterName).toList());
    assertThat(meters.getMeters())
        .allSatisfy(
            m -> {
              assertThat(m.getId().getTag("component")).isEqualTo(Metric.C.RELAY);
              assertThat(m.getId().getTag("group")).isEqualTo("orders");
              assertThat(m.getId().getTag("instance")).isEqualTo("pod-7");
            });
    relay.close(Duration.ofSeconds(1));
  }

  @Test
  void badSettingsAreRefusedByName() {
    refused(b -> b.table("orders; DROP TABLE x"), "relay.table", "not a plain SQL identifier");
    refused(b -> b.dataSource(null), "relay.dataSource", "is required");
    refused(
        b -> b.kafkaProperties(Map.of()), "relay.kafkaProperties.bootstrap.servers", "required");
    refused(b -> b.batchSize(0), "relay.batchSize", "between 1 and 10000");
    refused(b -> b.cleanupBatchSize(20_000), "relay.cleanupBatchSize", "between 1 and 10000");
    refused(b -> b.maxIdle(Duration.ZERO), "relay.maxIdle", "between");
    refused(b -> b.gapTimeout(Duration.ofMillis(1)), "relay.gapTimeout", "between");
    refused(b -> b.missingTopicTimeout(Duration.ZERO), "relay.missingTopicTimeout", "between");
    refused(b -> b.missingTopicTimeout(null), "relay.missingTopicTimeout", "between");
    refused(b -> b.retention(Duration.ofSeconds(-1)), "relay.retention", "between");
    refused(b -> b.name("has space"), "relay.name", "[A-Za-z0-9._-]");
    refused(b -> b.positionTopic(""), "relay.positionTopic", "[A-Za-z0-9._-]");
    refused(b -> b.instanceId(" "), "relay.instanceId", "not blank");
    refused(b -> b.ticker(null), "relay.ticker", "Ticker.system()");
    refused(b -> b.faults(null), "relay.faults", "FaultInjection.NONE");
  }

  @Test
  void kafkaSettingsThatBreakTheGuaranteeAreRefused() {
    refused(
        b -> b.kafkaProperties(Map.of("bootstrap.servers", "x:1", "transactional.id", "mine")),
        "transactional.id",
        "relay.transactionalIdPrefix");
    refused(
        b -> b.kafkaProperties(Map.of("bootstrap.servers", "x:1", "enable.idempotence", "false")),
        "enable.idempotence",
        "set true");
    refused(b -> b.kafkaProperties(Map.of("bootstrap.servers", "x:1", "acks", "1")), "acks", "all");
  }

  @Test
  void lintErrorsAreRefusedAtBuild() {
    refused(
        b -> b.kafkaProperties(Map.of("bootstrap.servers", "x:1", "retries", "0")),
        "retries",
        "remove retries");
    // A relay name made per start gives a per-start transactional.id: nothing fences the last run.
    refused(
        b -> b.name("orders-" + java.util.UUID.randomUUID()),
        "transactional.id",
        "stable per instance");
    assertThat(valid().name("orders-eu-1").build().close(Duration.ofSeconds(1))).isTrue();
  }

  @Test
  void theOutboxRefusesABadTableNameAndBadWrites() throws Exception {
    assertThatThrownBy(() -> Outbox.builder().table("a-b").build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("outbox.table");
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:builder-writes;DB_CLOSE_DELAY=-1");
    Outbox outbox = Outbox.builder().table("writes").build();
    try (var c = ds.getConnection()) {
      outbox.createTableIfAbsent(c);
      assertThatThrownBy(() -> outbox.write(c, "bad topic", (byte[]) null, null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("legal Kafka topic");
      assertThatThrownBy(
              () -> outbox.write(c, "t", null, null, Map.of(Outbox.ID_HEADER, new byte[0])))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(Outbox.ID_HEADER);
    }
  }
}
