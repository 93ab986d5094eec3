package dev.exactly.jdbc.outbox;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;

/** A relay's checked, immutable settings, as {@link OutboxRelay.Builder#build()} made them. */
record RelaySettings(
    DataSource dataSource,
    OutboxTable table,
    String name,
    Map<String, Object> producerProperties,
    Map<String, ?> clientProperties,
    String positionTopic,
    String deadLetterTopic,
    int batchSize,
    Duration maxIdle,
    Duration gapTimeout,
    Duration retention,
    int cleanupBatchSize,
    Duration cleanupInterval,
    boolean createTable,
    MeterRegistry meterRegistry,
    Clock clock,
    CrashPoints crashPoints) {

  String lockName() {
    return "exactly-outbox:" + name;
  }
}
