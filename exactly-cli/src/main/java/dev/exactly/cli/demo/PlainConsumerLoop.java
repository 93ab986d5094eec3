package dev.exactly.cli.demo;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The at-least-once consumer a team often writes first: each record's effect in its own DB
 * transaction, offsets auto-committed by the consumer at Kafka's default interval (5 s) for the
 * records of the previous poll, that is after their effects. A kill between an effect and the next
 * commit repeats the effect: the demo's negative control.
 */
final class PlainConsumerLoop {
  /** One record's effect, on a connection whose transaction the loop commits. */
  @FunctionalInterface
  interface Effect {
    void apply(ConsumerRecord<String, byte[]> record, Connection connection) throws Exception;
  }

  private PlainConsumerLoop() {}

  static void run(StageArgs a, String stage, String topic, DataSource db, Effect effect)
      throws Exception {
    Map<String, Object> props = a.kafka(stage);
    props.put("group.id", "demo-" + stage + "-plain");
    props.put("enable.auto.commit", "true"); // auto.commit.interval.ms: Kafka's default, 5 s
    props.put("auto.offset.reset", "earliest");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      System.out.println(StageMains.READY + " " + StageArgs.runId(stage));
      System.out.flush();
      while (true) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            effect.apply(r, c);
            c.commit();
          }
        }
      }
    }
  }
}
