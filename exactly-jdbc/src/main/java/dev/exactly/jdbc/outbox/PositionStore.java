package dev.exactly.jdbc.outbox;

import dev.exactly.Ticker;
import dev.exactly.internal.DurableTopics;
import dev.exactly.internal.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The relay's position in a compacted Kafka topic: written in the same transaction as the records
 * it covers, read back {@code read_committed} at start, so the two can never disagree.
 *
 * <p>The topic has one partition; each relay name is a key, and compaction keeps its last value.
 */
final class PositionStore {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(120);

  private final String topic;
  private final byte[] key;
  private final Map<String, ?> clientProperties;
  private final Ticker ticker;

  PositionStore(String topic, String relayName, Map<String, ?> clientProperties, Ticker ticker) {
    this.topic = topic;
    this.key = relayName.getBytes(StandardCharsets.UTF_8);
    this.clientProperties = clientProperties;
    this.ticker = ticker;
  }

  /**
   * Creates the topic, compacted with one partition, unless it exists; replicated as {@link
   * DurableTopics} says.
   */
  void createTopicIfAbsent() throws InterruptedException {
    try (Admin admin = Admin.create(adminProperties(clientProperties))) {
      DurableTopics.create(
          admin,
          topic,
          Optional.of(1),
          Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException(
            "could not create the relay position topic " + topic + ": " + e.getCause(), e);
      }
    }
  }

  ProducerRecord<byte[], byte[]> record(RelayPosition position) {
    return new ProducerRecord<>(topic, 0, key, position.encode());
  }

  /**
   * The last committed position of this relay, or the start when it never published. Call after
   * {@code initTransactions}, which settles any transaction a predecessor left open.
   *
   * <p>Reads {@code read_committed} up to the topic's high watermark (its last offset, committed or
   * not), not just to its last stable offset: the topic is shared by relay names, and a transaction
   * another relay left open would hide this relay's later positions behind it. So the read waits
   * until every transaction written before it started has ended (committed, aborted, or aborted by
   * the coordinator after its {@code transaction.timeout.ms}).
   *
   * @throws PositionReadTimeout when that takes longer than {@link #READ_TIMEOUT}; the relay tries
   *     again
   */
  RelayPosition read() {
    TopicPartition tp = new TopicPartition(topic, 0);
    long end = highWatermark(tp);
    Map<String, Object> props = common(clientProperties);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    RelayPosition last = RelayPosition.START;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = ticker.nanoTime() + READ_TIMEOUT.toNanos();
      while (consumer.position(tp, READ_TIMEOUT) < end) {
        if (ticker.nanoTime() - deadline > 0) {
          throw new PositionReadTimeout(
              "reading the relay position topic "
                  + topic
                  + " stopped at offset "
                  + consumer.position(tp, READ_TIMEOUT)
                  + " of "
                  + end
                  + " for "
                  + READ_TIMEOUT
                  + ": a transaction another relay sharing the topic left open is still open (it"
                  + " ends by its transaction.timeout.ms); give each relay its own"
                  + " relay.positionTopic so that one relay's transactions never hold up"
                  + " another's start. Retrying.");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (Arrays.equals(key, r.key()) && r.value() != null) {
            last = RelayPosition.decode(r.value());
          }
        }
      }
    }
    return last;
  }

  /** The topic's end counting open transactions too: a read_uncommitted end offset. */
  private long highWatermark(TopicPartition tp) {
    try (Admin admin = Admin.create(adminProperties(clientProperties))) {
      return admin
          .listOffsets(
              Map.of(tp, OffsetSpec.latest()),
              new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
          .partitionResult(tp)
          .get(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .offset();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "could not read the end of the relay position topic " + topic + ": " + e, e);
    }
  }

  /** Thrown when the position read waits too long for another relay's open transaction. */
  static final class PositionReadTimeout extends IllegalStateException {
    PositionReadTimeout(String message) {
      super(message);
    }
  }

  /** The user's properties an admin client understands: connection and security. */
  static Map<String, Object> adminProperties(Map<String, ?> user) {
    Map<String, Object> out = KafkaSettings.forOtherClient(user);
    out.keySet().retainAll(AdminClientConfig.configNames());
    return out;
  }

  /**
   * The user's properties that every client understands (security, bootstrap), no others, and not
   * the user's producer interceptors.
   */
  private static Map<String, Object> common(Map<String, ?> user) {
    Map<String, Object> out = KafkaSettings.forOtherClient(user);
    out.keySet().retainAll(ConsumerConfig.configNames());
    return out;
  }
}
