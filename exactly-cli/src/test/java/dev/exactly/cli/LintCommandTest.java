package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exactly.testkit.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `exactly lint` on files (exit codes, table, JSON) and against a real broker's own settings. */
class LintCommandTest {
  @TempDir Path dir;
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

  private Path file(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  @Test
  void exitsOneOnErrorsZeroOnWarningsOnlyAndTwoWithoutInput() throws Exception {
    Path bad = file("bad.properties", "transactional.id=orders-node-1\nacks=1\n");
    assertThat(run("lint", "--producer", bad.toString())).isEqualTo(1);
    assertThat(out())
        .contains("guarantee: at-most-once")
        .contains("ERROR  producer/acks")
        .contains("fix: set acks=all")
        .contains("see: KIP-98");

    Path warnOnly = file("consumer.properties", "group.id=g\nisolation.level=read_committed\n");
    assertThat(run("lint", "--consumer", warnOnly.toString())).isZero();
    assertThat(out())
        .contains("WARN   consumer/enable.auto.commit")
        .contains("0 error(s), 1 warning(s)");

    Path clean = file("clean.properties", "transactional.id=orders-node-1\n");
    Path reader =
        file(
            "reader.properties",
            "group.id=g\nenable.auto.commit=false\nisolation.level=read_committed\n");
    assertThat(run("lint", "--producer", clean.toString(), "--consumer", reader.toString()))
        .isZero();
    assertThat(out()).contains("guarantee: exactly-once").contains("no findings");

    assertThat(run("lint")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Give at least one of --producer");
  }

  @Test
  void jsonIsMachineReadable() throws Exception {
    Path p =
        file("p.properties", "transactional.id=t-1\nmax.in.flight.requests.per.connection=9\n");
    assertThat(run("lint", "--producer", p.toString(), "--json")).isEqualTo(1);
    JsonNode json = new ObjectMapper().readTree(out());
    assertThat(json.get("errors").asInt()).isEqualTo(1);
    JsonNode f = json.get("findings").get(0);
    assertThat(f.get("severity").asText()).isEqualTo("ERROR");
    assertThat(f.get("key").asText()).isEqualTo("max.in.flight.requests.per.connection");
    assertThat(f.get("value").asText()).isEqualTo("9");
    assertThat(f.get("fix").asText()).isNotBlank();
    assertThat(f.get("reference").asText()).contains("KAFKA-5494");
  }

  @Test
  void reportsTheRealClustersSettingsAndFeatureLevels() throws Exception {
    try (EmbeddedKafka kafka =
        EmbeddedKafka.builder().brokerProperty("auto.create.topics.enable", "false").start()) {
      short transactionVersion;
      short groupVersion;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        var features =
            admin
                .describeFeatures()
                .featureMetadata()
                .get(30, TimeUnit.SECONDS)
                .finalizedFeatures();
        transactionVersion =
            features.containsKey("transaction.version")
                ? features.get("transaction.version").maxVersionLevel()
                : 0;
        groupVersion =
            features.containsKey("group.version")
                ? features.get("group.version").maxVersionLevel()
                : 0;
      }
      assertThat(run("lint", "--bootstrap-server", kafka.bootstrapServers(), "--json")).isZero();
      JsonNode json = new ObjectMapper().readTree(out());
      assertThat(json.at("/cluster/brokers").asInt()).isEqualTo(1);
      assertThat(json.at("/cluster/features/transaction.version").asInt())
          .isEqualTo(transactionVersion);
      assertThat(finding(json, "transaction.version").get("value").asText())
          .isEqualTo(Short.toString(transactionVersion));
      assertThat(finding(json, "transaction.version").get("severity").asText())
          .isEqualTo(transactionVersion >= 2 ? "INFO" : "WARN");
      assertThat(finding(json, "group.version").get("value").asText())
          .isEqualTo(Short.toString(groupVersion));
      // Configured off: no finding. One broker: its transaction log has one replica.
      assertThat(finding(json, "auto.create.topics.enable")).isNull();
      assertThat(finding(json, "transaction.state.log.replication.factor").get("value").asText())
          .isEqualTo("1");
      assertThat(finding(json, "min.insync.replicas").get("severity").asText()).isEqualTo("WARN");

      Path consumer =
          file(
              "c.properties",
              "group.id=g\nenable.auto.commit=false\nisolation.level=read_committed\n"
                  + "group.protocol=consumer\n");
      int code =
          run(
              "lint",
              "--bootstrap-server",
              kafka.bootstrapServers(),
              "--consumer",
              consumer.toString(),
              "--json");
      JsonNode withConsumer = new ObjectMapper().readTree(out());
      assertThat(finding(withConsumer, "group.protocol").get("severity").asText())
          .isEqualTo(groupVersion >= 1 ? "INFO" : "ERROR");
      assertThat(code).isEqualTo(groupVersion >= 1 ? 0 : 1);
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      assertThat(run("lint", "--bootstrap-server", kafka.bootstrapServers())).isZero();
      assertThat(out()).contains("WARN   broker/auto.create.topics.enable").contains("true");
    }
  }

  @Test
  void anUnreachableClusterFailsWithExitOne() {
    assertThat(run("lint", "--bootstrap-server", "127.0.0.1:1")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("lint: ");
  }

  private static JsonNode finding(JsonNode json, String key) {
    for (JsonNode f : json.get("findings")) {
      if (f.get("key").asText().equals(key)) {
        return f;
      }
    }
    return null;
  }
}
