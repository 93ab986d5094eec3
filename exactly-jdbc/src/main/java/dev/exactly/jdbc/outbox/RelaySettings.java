package dev.exactly.jdbc.outbox;

import dev.exactly.FaultInjection;
import dev.exactly.Ticker;
import dev.exactly.internal.StartPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;

/**
 * A relay's checked, immutable settings, as {@link OutboxRelay.Builder#build()} made them.
 *
 * @param meterRegistry the user's registry, or null for a private one
 */
record RelaySettings(
    DataSource dataSource,
    OutboxTable table,
    String name,
    String instanceId,
    Map<String, Object> producerProperties,
    Map<String, ?> clientProperties,
    String positionTopic,
    String deadLetterTopic,
    int batchSize,
    Duration maxIdle,
    Duration gapTimeout,
    Duration missingTopicTimeout,
    Duration retention,
    int cleanupBatchSize,
    Duration cleanupInterval,
    boolean createTable,
    MeterRegistry meterRegistry,
    Ticker ticker,
    FaultInjection faults,
    StartPolicy start) {

  String lockName() {
    return "exactly-outbox:" + name;
  }
}
