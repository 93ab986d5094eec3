package dev.exactly.cli.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Counts the committed records of the demo's topics as a {@code read_committed} reader sees them,
 * for the progress line. Not the proof: the checker reads every topic again at the end.
 */
final class CommittedTail implements AutoCloseable {
  private final String bootstrapServers;
  private final List<String> topics;
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean running = true;

  CommittedTail(String bootstrapServers, List<String> topics) {
    this.bootstrapServers = bootstrapServers;
    this.topics = List.copyOf(topics);
    topics.forEach(t -> counts.put(t, new AtomicLong()));
    this.thread = new Thread(this::tail, "demo-committed-tail");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  long count(String topic) {
    return counts.get(topic).get();
  }

  private void tail() {
    Map<String, Object> props =
        Map.of(
            "bootstrap.servers", bootstrapServers,
            "isolation.level", "read_committed",
            "enable.auto.commit", "false");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
          partitions.add(new TopicPartition(topic, p.partition()));
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (running) {
        try {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            counts.get(r.topic()).incrementAndGet();
          }
        } catch (org.apache.kafka.common.errors.RetriableException e) {
          // a broker restarting under the reader; poll again
        }
      }
    } catch (org.apache.kafka.common.errors.InterruptException e) {
      // closing
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
