package dev.exactly.jdbc.outbox;

import dev.exactly.ConfigurationException;
import dev.exactly.FaultInjection;
import dev.exactly.Ticker;
import dev.exactly.internal.KafkaSettings;
import dev.exactly.internal.StartPolicy;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.lint.ConfigLint;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.ProducerConfig;

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

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  /**
   * Checks a builder's settings together.
   *
   * @throws ConfigurationException naming the setting, the value and the fix
   */
  static RelaySettings from(OutboxRelay.Builder b) {
    if (b.dataSource == null) {
      throw new ConfigurationException(
          "relay.dataSource", null, "is required: give the DataSource holding the outbox table");
    }
    if (b.kafkaProperties == null
        || b.kafkaProperties.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG) == null) {
      throw new ConfigurationException(
          "relay.kafkaProperties.bootstrap.servers",
          null,
          "is required: give the Kafka brokers to publish to");
    }
    OutboxTable outboxTable = new OutboxTable(Dialect.checkIdentifier("relay.table", b.table));
    String relayName = b.name == null ? b.table : b.name;
    checkName("relay.name", relayName);
    checkName("relay.positionTopic", b.positionTopic);
    checkName("relay.deadLetterTopic", b.deadLetterTopic);
    checkName("relay.transactionalIdPrefix", b.transactionalIdPrefix + "x");
    if (b.batchSize < 1 || b.batchSize > 10_000) {
      throw new ConfigurationException(
          "relay.batchSize", b.batchSize, "must be between 1 and 10000 rows");
    }
    if (b.cleanupBatchSize < 1 || b.cleanupBatchSize > 10_000) {
      throw new ConfigurationException(
          "relay.cleanupBatchSize", b.cleanupBatchSize, "must be between 1 and 10000 rows");
    }
    checkDuration("relay.maxIdle", b.maxIdle, Duration.ofMillis(1), Duration.ofSeconds(10));
    checkDuration("relay.gapTimeout", b.gapTimeout, Duration.ofMillis(100), Duration.ofDays(1));
    checkDuration(
        "relay.missingTopicTimeout",
        b.missingTopicTimeout,
        Duration.ofSeconds(1),
        Duration.ofDays(1));
    checkDuration("relay.retention", b.retention, Duration.ZERO, Duration.ofDays(365));
    checkDuration(
        "relay.cleanupInterval", b.cleanupInterval, Duration.ofMillis(10), Duration.ofDays(1));
    String instance =
        b.instanceId == null
            ? ProcessHandle.current().pid() + "-" + INSTANCES.incrementAndGet()
            : b.instanceId;
    if (instance.isBlank() || instance.length() > 200) {
      throw new ConfigurationException(
          "relay.instanceId",
          b.instanceId,
          "must be 1-200 characters, not blank; give a name for this instance (a pod name)");
    }
    if (b.ticker == null) {
      throw new ConfigurationException(
          "relay.ticker", null, "must not be null; leave it unset for Ticker.system()");
    }
    if (b.faults == null) {
      throw new ConfigurationException(
          "relay.faults", null, "must not be null; leave it unset for FaultInjection.NONE");
    }
    KafkaSettings producer =
        new KafkaSettings(b.kafkaProperties, "the outbox relay's exactly-once publishing")
            .forbid(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "the relay sets it to transactionalIdPrefix + name, stable per relay name, so a"
                    + " restarted instance fences its predecessor; use"
                    + " relay.transactionalIdPrefix")
            .forbid(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "the relay sends stored bytes")
            .forbid(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, "the relay sends stored bytes")
            .require(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                "true",
                "transactions need the idempotent producer")
            .require(ProducerConfig.ACKS_CONFIG, "all", "a published row must not be lost")
            // Back-to-back transactions wait this long on CONCURRENT_TRANSACTIONS; 100 ms (the
            // default) costs a third of the throughput here (see KAFKA-NOTES).
            .withDefault(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10)
            .withDefault(ProducerConfig.LINGER_MS_CONFIG, 5)
            .set(ProducerConfig.TRANSACTIONAL_ID_CONFIG, b.transactionalIdPrefix + relayName)
            .set(
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArraySerializer.class)
            .set(
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArraySerializer.class);
    // A producer alone: lint refuses, among others, a per-start transactional.id (a relay name made
    // from a UUID or a time stamp), which would fence nothing.
    ConfigLint.refuseErrors(producer.toMap(), null);
    return new RelaySettings(
        b.dataSource,
        outboxTable,
        relayName,
        instance,
        producer.toMap(),
        Map.copyOf(b.kafkaProperties),
        b.positionTopic,
        b.deadLetterTopic,
        b.batchSize,
        b.maxIdle,
        b.gapTimeout,
        b.missingTopicTimeout,
        b.retention,
        b.cleanupBatchSize,
        b.cleanupInterval,
        b.createTable,
        b.meterRegistry,
        b.ticker,
        b.faults,
        b.start);
  }

  private static void checkName(String key, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new ConfigurationException(
          key, value, "must be 1-200 of [A-Za-z0-9._-] (it names Kafka resources); rename it");
    }
  }

  private static void checkDuration(String key, Duration value, Duration min, Duration max) {
    if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new ConfigurationException(
          key, value, "must be between " + min + " and " + max + "; choose a value in range");
    }
  }

  String lockName() {
    return "exactly-outbox:" + name;
  }
}
