package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaTest {

  @Test
  void closeDeletesTheTemporaryDataDirectory() {
    Path dir;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      dir = kafka.dataDirectory();
      assertThat(dir.resolve("meta.properties")).exists();
      assertThat(kafka.startupTime()).isPositive();
      System.out.println("embedded broker start: " + kafka.startupTime().toMillis() + " ms");
    }
    assertThat(dir).doesNotExist();
  }

  @Test
  void givenDataDirectoryIsKeptAndReused() {
    Path dir = TestDirectories.newDirectory("kept");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDirectory(dir).start()) {
      kafka.createTopic("survives-restart", 2);
    }
    assertThat(dir.resolve("meta.properties")).exists();
    try (EmbeddedKafka again = EmbeddedKafka.builder().dataDirectory(dir).start()) {
      System.out.println(
          "embedded broker restart on kept data: " + again.startupTime().toMillis() + " ms");
      assertThat(new Topics(again.bootstrapServers()).describe("survives-restart"))
          .hasValueSatisfying(d -> assertThat(d.partitions()).hasSize(2));
    }
  }

  @Test
  void takenPortIsNamedInTheError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(() -> EmbeddedKafka.builder().port(taken.getLocalPort()).start())
          .isInstanceOf(BrokerStartException.class)
          .hasMessageContaining("port " + taken.getLocalPort())
          .hasMessageContaining("is taken");
    }
  }

  @Test
  void unwritableDataDirectoryIsNamedInTheError() throws Exception {
    Path file = Files.createFile(TestDirectories.newDirectory("blocked").resolve("not-a-dir"));
    assertThatThrownBy(() -> EmbeddedKafka.builder().dataDirectory(file.resolve("data")).start())
        .isInstanceOf(BrokerStartException.class)
        .hasMessageContaining(file.resolve("data").toString());
  }
}
