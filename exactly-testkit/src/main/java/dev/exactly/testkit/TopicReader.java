package dev.exactly.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads every record of a topic from the beginning up to its end offsets, without a consumer group,
 * so a test or a checker sees exactly what a consumer at the given isolation level would.
 *
 * <p>Under {@code read_committed} the end offset is the last stable offset: records of an open
 * transaction are neither returned nor waited for.
 */
public final class TopicReader {
  private TopicReader() {}

  /** Every committed record, in partition order. */
  public static List<ConsumerRecord<byte[], byte[]>> readCommitted(
      String bootstrapServers, String topic) {
    return read(bootstrapServers, topic, IsolationLevel.READ_COMMITTED, Duration.ofSeconds(60));
  }

  /** Every record, aborted and open transactions' records included. */
  public static List<ConsumerRecord<byte[], byte[]>> readUncommitted(
      String bootstrapServers, String topic) {
    return read(bootstrapServers, topic, IsolationLevel.READ_UNCOMMITTED, Duration.ofSeconds(60));
  }

  /**
   * @throws IllegalStateException when the end offsets are not reached within the timeout, naming
   *     the partitions still behind
   */
  public static List<ConsumerRecord<byte[], byte[]>> read(
      String bootstrapServers, String topic, IsolationLevel isolation, Duration timeout) {
    return read(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
        topic,
        isolation,
        timeout);
  }

  /**
   * As {@link #read(String, String, IsolationLevel, Duration)}, with the consumer configured by
   * {@code clientProperties} (bootstrap servers, SSL, SASL), which this only reads. The end offsets
   * are taken once, at the start, so the read ends even while writers go on. Never creates the
   * topic.
   *
   * @throws IllegalStateException when the end offsets are not reached within the timeout, naming
   *     the partitions still behind
   */
  public static List<ConsumerRecord<byte[], byte[]>> read(
      Map<String, Object> clientProperties,
      String topic,
      IsolationLevel isolation,
      Duration timeout) {
    Objects.requireNonNull(topic, "topic");
    Properties props = new Properties();
    props.putAll(clientProperties);
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString().toLowerCase(Locale.ROOT));
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, timeout)) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, timeout));
      Instant deadline = Instant.now().plus(timeout);
      while (true) {
        end.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
        if (end.isEmpty()) {
          return out;
        }
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException(
              "reading " + topic + " did not reach the end offsets " + end + " within " + timeout);
        }
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
  }
}
