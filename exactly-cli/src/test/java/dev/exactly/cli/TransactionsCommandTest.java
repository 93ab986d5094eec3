package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A transactional producer SIGKILLed mid-transaction leaves its partition's read_committed readers
 * stuck; {@code exactly transactions} finds it, names its owner, and {@code abort} frees them.
 */
class TransactionsCommandTest {
  private static final String TOPIC = "hung";
  private static final String ID = "exactly-outbox-orders";
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    err.reset();
    return Main.execute(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void findsAndAbortsTheTransactionOfAKilledProducer() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopic(TOPIC, 1);
      TopicPartition tp = new TopicPartition(TOPIC, 0);
      try (ChildProcess child =
          ChildProcess.builder(HangingProducerMain.class)
              .name("hanging-producer")
              .args(bootstrap, TOPIC, ID)
              .start()) {
        child.awaitOutput("OPEN", Duration.ofSeconds(60));
        child.kill();
      }

      long hangingEnd = 3; // offsets 0..2 are the killed producer's, still open
      commit(bootstrap, "after-1", "after-2");

      try (KafkaConsumer<String, String> reader = readCommitted(bootstrap)) {
        reader.assign(List.of(tp));
        reader.seekToBeginning(List.of(tp));
        List<ConsumerRecord<String, String>> seen = poll(reader, tp, Duration.ofSeconds(3));
        assertThat(seen).as("held back by the open transaction").isEmpty();
        assertThat(reader.position(tp)).isZero();
      }

      Thread.sleep(1_500); // the threshold below: the dead producer's last write is older
      assertThat(run("transactions", "list", "--bootstrap-server", bootstrap, "--older-than", "1s"))
          .isZero();
      assertThat(out())
          .contains(ID)
          .contains("Ongoing")
          .contains("outbox-relay orders")
          .contains("hung-0")
          .contains("1 open transaction(s)");
      assertThat(run("transactions", "list", "--bootstrap-server", bootstrap, "--older-than", "1h"))
          .isZero();
      assertThat(out()).doesNotContain(ID).contains("0 open transaction(s)");

      String[] find = {
        "transactions",
        "find-hanging",
        "--bootstrap-server",
        bootstrap,
        "--older-than",
        "1s",
        "--topic",
        TOPIC
      };
      assertThat(run(find)).isZero();
      assertThat(out())
          .containsPattern("hung-0\\s+0\\s+\\d+")
          .contains(ID)
          .contains("outbox-relay orders")
          .contains("1 transaction(s) open on partitions");
      assertThat(
              run(
                  "transactions",
                  "find-hanging",
                  "--bootstrap-server",
                  bootstrap,
                  "--older-than",
                  "1h",
                  "--topic",
                  TOPIC))
          .isZero();
      assertThat(out()).contains("0 transaction(s)");

      assertThat(
              run(
                  "transactions",
                  "abort",
                  "--bootstrap-server",
                  bootstrap,
                  "--older-than",
                  "1s",
                  "--topic",
                  TOPIC))
          .as(err.toString(StandardCharsets.UTF_8))
          .isZero();
      assertThat(out()).contains("aborted 1 transaction(s)");

      commit(bootstrap, "after-3");
      try (KafkaConsumer<String, String> reader = readCommitted(bootstrap)) {
        reader.assign(List.of(tp));
        reader.seekToBeginning(List.of(tp));
        List<ConsumerRecord<String, String>> seen = poll(reader, tp, Duration.ofSeconds(20));
        assertThat(seen)
            .extracting(ConsumerRecord::value)
            .containsExactly("after-1", "after-2", "after-3");
        assertThat(seen.get(0).offset()).isGreaterThanOrEqualTo(hangingEnd);
        assertThat(reader.position(tp)).isGreaterThan(hangingEnd);
      }
      assertThat(run(find)).isZero();
      assertThat(out()).contains("0 transaction(s)");
      // Measured: the marker frees the partition, but the coordinator still holds the transaction
      // open until its own timeout (10 minutes here) aborts it.
      assertThat(run("transactions", "list", "--bootstrap-server", bootstrap, "--older-than", "0s"))
          .isZero();
      assertThat(out()).contains(ID).contains("Ongoing");
    }
  }

  private static void commit(String bootstrap, String... values) {
    try (KafkaProducer<String, String> p =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "writer-" + values[0],
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class))) {
      p.initTransactions();
      p.beginTransaction();
      for (String v : values) {
        p.send(new ProducerRecord<>(TOPIC, 0, "k", v));
      }
      p.commitTransaction();
    }
  }

  private static KafkaConsumer<String, String> readCommitted(String bootstrap) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            StringDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            StringDeserializer.class));
  }

  /** Polls until {@code within} is over or three records are read. */
  private static List<ConsumerRecord<String, String>> poll(
      KafkaConsumer<String, String> reader, TopicPartition tp, Duration within) {
    List<ConsumerRecord<String, String>> seen = new ArrayList<>();
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline && seen.size() < 3) {
      reader.poll(Duration.ofMillis(200)).records(tp).forEach(seen::add);
    }
    return seen;
  }
}
