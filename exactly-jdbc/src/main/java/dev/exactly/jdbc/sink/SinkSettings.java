package dev.exactly.jdbc.sink;

import dev.exactly.ConfigurationException;
import dev.exactly.FaultInjection;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.KafkaSettings;
import dev.exactly.internal.StartPolicy;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.lint.ConfigLint;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * A checked, immutable copy of a {@link DbSinkBuilder}'s settings. {@code deadLetterTopic} is null
 * when each input topic keeps its own {@code <topic>.dlt}.
 */
record SinkSettings<K, V>(
    Map<String, Object> consumerProperties,
    String groupId,
    List<String> topics,
    Deserializer<K> keyDeserializer,
    Deserializer<V> valueDeserializer,
    DataSource dataSource,
    String jdbcUrl,
    String offsetTable,
    boolean createOffsetTable,
    BatchHandler<K, V> handler,
    int maxBatchRecords,
    long maxBatchBytes,
    String deadLetterTopic,
    RetryPolicy retry,
    Duration pollTimeout,
    MeterRegistry meterRegistry,
    FaultInjection faults,
    Ticker ticker,
    String instanceId,
    Duration lockWait,
    StartPolicy start) {

  SinkSettings {
    consumerProperties = Map.copyOf(consumerProperties);
  }

  /** The dead-letter topic of each input topic. */
  String deadLetterTopicOf(String topic) {
    return deadLetterTopic != null ? deadLetterTopic : topic + ".dlt";
  }

  /** Each dead-letter topic with the input topics that send to it. */
  Map<String, List<String>> deadLetterTopics() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String t : topics) {
      out.computeIfAbsent(deadLetterTopicOf(t), d -> new ArrayList<>()).add(t);
    }
    return out;
  }

  /**
   * Checks every setting of {@code b} together.
   *
   * @throws ConfigurationException naming the setting, the value and the fix
   */
  static <K, V> SinkSettings<K, V> from(DbSinkBuilder<K, V> b) {
    require(b.handler != null, "sink.handler", null, "is required; give the code that writes rows");
    require(
        b.keyDeserializer != null && b.valueDeserializer != null,
        "sink.deserializers",
        null,
        "are required; give a key and a value deserializer");
    require(!b.topics.isEmpty(), "sink.topics", "[]", "is empty; name at least one topic");
    for (String t : b.topics) {
      require(t != null && !t.isBlank(), "sink.topics", b.topics, "holds a blank name; remove it");
    }
    require(
        (b.dataSource == null) != (b.jdbcUrl == null),
        "sink.dataSource",
        b.dataSource == null ? "none" : "given with sink.jdbcUrl " + b.jdbcUrl,
        "give exactly one of dataSource(...) or jdbcUrl(...)");
    if (b.jdbcUrl != null) {
      require(
          b.jdbcUrl.startsWith("jdbc:"),
          "sink.jdbcUrl",
          b.jdbcUrl.replaceAll("password=[^&;]*", "password=[hidden]"),
          "is not a JDBC URL; it starts with jdbc:");
      require(
          HikariPools.available(),
          "sink.jdbcUrl",
          "given",
          "needs HikariCP (com.zaxxer:HikariCP) on the class path; add it, or give dataSource(...)");
    }
    Dialect.checkIdentifier("sink.offsetTable", b.offsetTable);
    require(
        b.maxBatchRecords >= 1 && b.maxBatchRecords <= 100_000,
        "sink.maxBatchRecords",
        b.maxBatchRecords,
        "must be 1..100000");
    require(
        b.maxBatchBytes >= 1024, "sink.maxBatchBytes", b.maxBatchBytes, "must be at least 1024");
    if (b.deadLetterTopic != null) {
      require(
          !b.deadLetterTopic.isBlank(),
          "sink.deadLetterTopic",
          "'" + b.deadLetterTopic + "'",
          "is blank; name a topic, or leave it unset for <topic>.dlt per input topic");
      require(
          !b.topics.contains(b.deadLetterTopic),
          "sink.deadLetterTopic",
          b.deadLetterTopic,
          "is an input topic: the source topic itself would read its own dead letters back;"
              + " name another topic");
    }
    require(b.retry != null, "sink.retry", null, "is required; use RetryPolicy.NONE for no retry");
    require(
        b.pollTimeout != null && !b.pollTimeout.isNegative() && !b.pollTimeout.isZero(),
        "sink.pollTimeout",
        b.pollTimeout,
        "must be positive");
    require(b.faults != null, "sink.faults", null, "is required; use FaultInjection.NONE");
    require(b.ticker != null, "sink.ticker", null, "is required; use Ticker.system()");
    require(
        b.instanceId != null && b.instanceId.matches("[A-Za-z0-9._-]{1,64}"),
        "sink.instanceId",
        b.instanceId,
        "use 1..64 letters, digits, dots, dashes or underscores");

    Object givenGroup = b.kafkaProperties.get(ConsumerConfig.GROUP_ID_CONFIG);
    String group =
        b.groupId != null ? b.groupId : givenGroup == null ? null : givenGroup.toString();
    require(
        group != null && !group.isBlank(),
        "sink.groupId",
        group,
        "is required; it keys the offset table");
    require(
        givenGroup == null || givenGroup.toString().equals(group),
        ConsumerConfig.GROUP_ID_CONFIG,
        givenGroup,
        "contradicts sink.groupId " + group + "; give the group once");
    require(
        b.kafkaProperties.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) != null,
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
        null,
        "is required in kafkaProperties");
    String reset =
        String.valueOf(
                b.kafkaProperties.getOrDefault(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"))
            .toLowerCase(Locale.ROOT);
    require(
        reset.equals("earliest") || reset.equals("latest"),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
        reset,
        "must be earliest or latest: it says where a partition with no row in the offset table"
            + " starts");

    KafkaSettings consumer =
        new KafkaSettings(b.kafkaProperties, "the database sink's exactly-once")
            .require(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                "false",
                "offsets are committed in the database transaction, Kafka only mirrors them")
            .require(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                "records of aborted producer transactions must never reach the database")
            .forbid(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                "the sink reads bytes and deserializes with deserializers(...), so a bad record"
                    + " goes to the dead-letter topic")
            .forbid(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                "the sink reads bytes and deserializes with deserializers(...), so a bad record"
                    + " goes to the dead-letter topic")
            .set(ConsumerConfig.GROUP_ID_CONFIG, group)
            .set(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, reset)
            .withDefault(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, b.maxBatchRecords)
            .withDefault(ConsumerConfig.CLIENT_ID_CONFIG, b.instanceId + "-" + group);
    if (b.start.requireExistingTopics()) {
      // A mistyped input topic must be refused at start, not created by the first poll.
      consumer.withDefault(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    }
    ConfigLint.refuseErrors(null, consumer.toMap());
    return new SinkSettings<>(
        consumer.toMap(),
        group,
        List.copyOf(b.topics),
        b.keyDeserializer,
        b.valueDeserializer,
        b.dataSource,
        b.jdbcUrl,
        b.offsetTable,
        b.createOffsetTable,
        b.handler,
        b.maxBatchRecords,
        b.maxBatchBytes,
        b.deadLetterTopic,
        b.retry,
        b.pollTimeout,
        b.meterRegistry,
        b.faults,
        b.ticker,
        b.instanceId,
        b.lockWait,
        b.start);
  }

  private static void require(boolean ok, String key, Object value, String problemAndFix) {
    if (!ok) {
      throw new ConfigurationException(key, value, problemAndFix);
    }
  }
}
