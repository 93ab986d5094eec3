package dev.exactly.jdbc.sink;

import dev.exactly.FaultInjection;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
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
    Duration lockWait) {

  SinkSettings {
    consumerProperties = Map.copyOf(consumerProperties);
  }
}
