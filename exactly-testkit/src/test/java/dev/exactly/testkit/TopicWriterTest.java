package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TopicWriterTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void everyRecordIsInTheTopicWhenSendAllReturns() {
    KAFKA.broker().createTopic("writer-ok", 2);
    try (KafkaProducer<String, String> p = producer(1_000_000)) {
      TopicWriter.sendAll(
          p,
          List.of(
              new ProducerRecord<>("writer-ok", "a", "1"),
              new ProducerRecord<>("writer-ok", "b", "2"),
              new ProducerRecord<>("writer-ok", "c", "3")));
    }
    assertThat(TopicReader.readUncommitted(KAFKA.broker().bootstrapServers(), "writer-ok"))
        .hasSize(3);
  }

  @Test
  void aSendTheProducerGaveUpOnFailsTheCallNamingTheCount() {
    KAFKA.broker().createTopic("writer-bad", 1);
    // The producer refuses the large record itself; flush() would not have said so.
    try (KafkaProducer<String, String> p = producer(2_000)) {
      assertThatThrownBy(
              () ->
                  TopicWriter.sendAll(
                      p,
                      List.of(
                          new ProducerRecord<>("writer-bad", "a", "small"),
                          new ProducerRecord<>("writer-bad", "b", "x".repeat(5_000)),
                          new ProducerRecord<>("writer-bad", "c", "small"))))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("1 of 3 test inputs were not written to Kafka")
          .hasCauseInstanceOf(RecordTooLargeException.class);
    }
  }

  private static KafkaProducer<String, String> producer(int maxRequestSize) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            KAFKA.broker().bootstrapServers(),
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
            maxRequestSize),
        new StringSerializer(),
        new StringSerializer());
  }
}
