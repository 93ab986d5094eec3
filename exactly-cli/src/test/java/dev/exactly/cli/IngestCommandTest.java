package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.TestDirectories;
import dev.exactly.testkit.TopicReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** `exactly ingest` as a user runs it: its own process, a real broker, an H2 file by default. */
class IngestCommandTest {

  @Test
  void publishesEachKeyOnceAndReplaysRetries() throws Exception {
    Path data = TestDirectories.newDirectory("ingest-cli");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("orders", 2);
      try (ChildProcess ingest =
          ChildProcess.builder(Main.class)
              .name("exactly-ingest")
              .args(
                  "ingest",
                  "--bootstrap-server",
                  kafka.bootstrapServers(),
                  "--route",
                  "/api/orders=orders:/orderId",
                  "--port",
                  "0",
                  "--require-key",
                  "--data",
                  data.toString())
              .start()) {
        ingest.awaitOutput("Press Ctrl-C to stop.", Duration.ofSeconds(90));
        Matcher m =
            Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)")
                .matcher(ingest.outputText());
        assertThat(m.find()).as(ingest.outputText()).isTrue();
        assertThat(ingest.outputText()).contains("database: H2 file in " + data.toAbsolutePath());
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest.Builder post =
            HttpRequest.newBuilder(URI.create(m.group(1) + "/api/orders"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"o-1\"}"));
        HttpResponse<String> noKey =
            client.send(post.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noKey.statusCode()).isEqualTo(400);
        post.header("Idempotency-Key", "\"key-1\"");
        HttpResponse<String> first =
            client.send(post.build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> again =
            client.send(post.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        List<ConsumerRecord<byte[], byte[]>> records = List.of();
        Instant deadline = Instant.now().plusSeconds(30);
        while (records.isEmpty() && Instant.now().isBefore(deadline)) {
          Thread.sleep(200);
          records = TopicReader.readCommitted(kafka.bootstrapServers(), "orders");
        }
        Thread.sleep(500);
        records = TopicReader.readCommitted(kafka.bootstrapServers(), "orders");
        assertThat(records).hasSize(1);
        assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("o-1");
        ingest.terminate();
        assertThat(ingest.awaitExit(Duration.ofSeconds(60))).as(ingest.outputText()).isZero();
        assertThat(ingest.outputText())
            .containsPattern("ingest: requests \\d+, published 1, dead-lettered 0")
            .contains("ingest: stopped");
      }
    } finally {
      TestDirectories.deleteRecursively(data);
    }
  }
}
