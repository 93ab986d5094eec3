package dev.exactly.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.Component;
import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.jdbc.outbox.OutboxRelay;
import dev.exactly.jdbc.sink.DbSink;
import dev.exactly.jdbc.sink.DbSinkBuilder;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.LogLines;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The DB sink's and the relay's start checks: a wrong bootstrap.servers fails start() within the
 * start timeout, quietly, and FAILED; a mistyped input topic or a missing dead-letter topic is
 * refused naming the fix.
 */
class StartCheckTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();
  private static final Duration START_TIMEOUT = Duration.ofSeconds(5);
  private static String nowhere;

  @BeforeAll
  static void findAnUnusedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nowhere = "127.0.0.1:" + s.getLocalPort();
    }
  }

  private static JdbcDataSource h2(String name) {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
    return ds;
  }

  private static DbSinkBuilder<String, String> sink(String bootstrap, String topic) {
    return DbSink.<String, String>builder()
        .kafkaProperties(Map.of("bootstrap.servers", bootstrap))
        .groupId(topic + "-group")
        .topics(topic)
        .deserializers(new StringDeserializer(), new StringDeserializer())
        .dataSource(h2(topic))
        .handler((connection, records) -> {});
  }

  private static OutboxRelay.Builder relay(String bootstrap, String name) {
    return OutboxRelay.builder()
        .dataSource(h2(name))
        .kafkaProperties(Map.of("bootstrap.servers", bootstrap))
        .name(name)
        .positionTopic(name + "-positions")
        .deadLetterTopic(name + "-dlt");
  }

  private static void failsFastAndQuietly(Component c, Runnable start) {
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
    assertThat(c.state()).isEqualTo(ComponentState.FAILED);
    assertThat(c.failure()).get().isInstanceOf(ConfigurationException.class);
    assertThat(c.close(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void aSinkWithAWrongBootstrapFailsToStartQuickly() {
    DbSink<String, String> s = sink(nowhere, "nowhere").startTimeout(START_TIMEOUT).build();
    failsFastAndQuietly(s, s::start);
  }

  @Test
  void aRelayWithAWrongBootstrapFailsToStartQuickly() {
    OutboxRelay r = relay(nowhere, "nowhere").startTimeout(START_TIMEOUT).build();
    failsFastAndQuietly(r, r::start);
  }

  @Test
  void aSinkWhoseOffsetTableCannotBeCreatedIsFailedAndNamesWhy() {
    KAFKA.broker().createTopic("ledger", 1);
    KAFKA.broker().createTopic("ledger.dlt", 1);
    // The offset table's schema does not exist: creating the table fails, after the cluster check.
    DbSink<String, String> sink =
        sink(KAFKA.broker().bootstrapServers(), "ledger")
            .offsetTable("no_such_schema.offsets")
            .build();
    assertThatThrownBy(sink::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot start")
        .hasMessageContaining("no_such_schema.offsets");
    assertThat(sink.state()).isEqualTo(ComponentState.FAILED);
    assertThat(sink.failure()).isPresent();
    assertThat(sink.close(Duration.ofSeconds(1))).isTrue();
    assertThat(sink.state()).isEqualTo(ComponentState.CLOSED);
  }

  @Test
  void aSinkRefusesAMistypedTopicNamingTheClosest() {
    KAFKA.broker().createTopic("invoices", 1);
    KAFKA.broker().createTopic("invoices.dlt", 1);
    DbSink<String, String> s = sink(KAFKA.broker().bootstrapServers(), "invoice").build();
    assertThatThrownBy(s::start)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("sink.topics=invoice does not exist")
        .hasMessageContaining("did you mean invoices?")
        .hasMessageContaining("sink.requireExistingTopics(false)");
    assertThat(s.state()).isEqualTo(ComponentState.FAILED);
  }

  @Test
  void aRelayRefusesAMissingDeadLetterTopicUnlessAskedToCreateIt() {
    OutboxRelay r = relay(KAFKA.broker().bootstrapServers(), "nodlt").build();
    assertThatThrownBy(r::start)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relay.deadLetterTopic=nodlt-dlt does not exist")
        .hasMessageContaining("relay.createTopics(true)");
    assertThat(r.state()).isEqualTo(ComponentState.FAILED);
    assertThat(r.close(Duration.ofSeconds(5))).isTrue();

    OutboxRelay created =
        relay(KAFKA.broker().bootstrapServers(), "nodlt").createTopics(true).build();
    created.start();
    try {
      assertThat(created.state()).isNotEqualTo(ComponentState.FAILED);
    } finally {
      assertThat(created.close(Duration.ofSeconds(30))).isTrue();
    }
  }
}
