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
 * transaction, offsets committed once a second after the effects. A kill between an effect and the
 * next commit repeats the effect: the demo's negative control.
 */
final class PlainConsumerLoop {
  private static final Duration COMMIT_EVERY = Duration.ofSeconds(1);

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
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "earliest");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      System.out.println(StageMains.READY + " " + StageArgs.runId(stage));
      System.out.flush();
      long nextCommit = System.nanoTime() + COMMIT_EVERY.toNanos();
      while (true) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            effect.apply(r, c);
            c.commit();
          }
        }
        if (System.nanoTime() >= nextCommit) {
          consumer.commitSync();
          nextCommit = System.nanoTime() + COMMIT_EVERY.toNanos();
        }
      }
    }
  }
}
