package dev.exactly.jdbc.sink;

import dev.exactly.FaultInjection;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.StartPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
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
}
