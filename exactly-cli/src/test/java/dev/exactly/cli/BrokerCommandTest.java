package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** `exactly broker` as a user runs it: a real broker in its own process, stopped by a signal. */
class BrokerCommandTest {

  @Test
  void servesClientsAndCleansUpOnTermination() throws Exception {
    try (ChildProcess broker =
        ChildProcess.builder(Main.class)
            .name("exactly-broker")
            .args("broker", "--port", "0", "--partitions", "3")
            .start()) {
      broker.awaitOutput("Press Ctrl-C to stop.", Duration.ofSeconds(60));
      String text = broker.outputText();
      String address = find(text, "ready at (127\\.0\\.0\\.1:\\d+)");
      Path data = Path.of(find(text, "data: (\\S+)"));
      assertThat(data).isDirectory();

      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              Map.of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, address,
                  ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                  ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
        producer.send(new ProducerRecord<>("hello", "k", "world")).get();
      }
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", address))) {
        TopicDescription hello =
            admin.describeTopics(List.of("hello")).allTopicNames().get().get("hello");
        assertThat(hello.partitions())
            .as("--partitions 3 for a topic made on first use")
            .hasSize(3);
      }
      assertThat(TopicReader.readCommitted(address, "hello"))
          .singleElement()
          .satisfies(
              r -> assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("world"));

      broker.terminate(); // the same shutdown path as Ctrl-C
      broker.awaitExit(Duration.ofSeconds(60));
      assertThat(data).as("temporary data is deleted on exit").doesNotExist();
    }
  }

  private static String find(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("'%s' in output:%n%s", regex, text).isTrue();
    return m.group(1);
  }
}
