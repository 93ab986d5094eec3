package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.processor.ExactlyOnceProcessor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A wrong {@code bootstrap.servers} (a loopback port nothing listens on) makes start() fail within
 * the start timeout, with one clear error and a few log lines, and the component FAILED: never
 * RUNNING without a broker.
 */
class UnreachableClusterTest {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(5);
  private static String nowhere;

  @BeforeAll
  static void findAnUnusedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nowhere = "127.0.0.1:" + s.getLocalPort();
    }
  }

  private static void failsFastAndQuietly(Runnable start) {
    long began = System.nanoTime();
    try (LogLines lines = LogLines.capture()) {
      assertThatThrownBy(start::run)
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("bootstrap.servers=" + nowhere)
          .hasMessageContaining("did not answer within 5 s")
          .hasMessageContaining("startTimeout");
      assertThat(lines.count())
          .as("log lines during the failed start:%n%s", lines.head())
          .isLessThan(100);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void aProcessorFailsToStartNamingTheServersAndTheFix() {
    ExactlyOnceProcessor p =
        ExactlyOnceProcessor.builder(Map.of("bootstrap.servers", nowhere))
            .groupId("unreachable")
            .instanceId("a")
            .input("in", new StringDeserializer(), new StringDeserializer())
            .process((record, out) -> {})
            .startTimeout(START_TIMEOUT)
            .build();
    failsFastAndQuietly(p::start);
    assertThat(p.state()).isEqualTo(ComponentState.FAILED);
    assertThat(p.failure()).get().isInstanceOf(ConfigurationException.class);
    assertThat(p.close(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void anIdempotentConsumerFailsToStartNamingTheServersAndTheFix() {
    IdempotentConsumer c =
        IdempotentConsumer.builder(Map.of("bootstrap.servers", nowhere))
            .groupId("unreachable")
            .input("in", new StringDeserializer(), new StringDeserializer())
            .store(InMemoryDedupStore.create(100))
            .handler(r -> {})
            .startTimeout(START_TIMEOUT)
            .build();
    failsFastAndQuietly(c::start);
    assertThat(c.state()).isEqualTo(ComponentState.FAILED);
    assertThat(c.failure()).get().isInstanceOf(ConfigurationException.class);
    assertThat(c.close(Duration.ofSeconds(5))).isTrue();
  }
}
