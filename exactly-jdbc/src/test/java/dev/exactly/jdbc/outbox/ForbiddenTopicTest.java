package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ComponentState;
import dev.exactly.DeadLetterHeaders;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A row for a topic the relay may not write (an ACL denies it): after {@code missingTopicTimeout}
 * it goes to the dead-letter topic and the rows around it are published, instead of the relay
 * stopping for good on the authorization error. Its own broker, with an authorizer that allows
 * everything but writing that one topic.
 */
class ForbiddenTopicTest {
  private static final String FORBIDDEN = "forbidden-topic";
  private static final String GOOD = "allowed-topic";
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void brokerDenyingWritesToOneTopic() throws Exception {
    kafka =
        EmbeddedKafka.builder()
            .brokerProperty(
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
            .brokerProperty("allow.everyone.if.no.acl.found", "true")
            .start();
    kafka.createTopic(FORBIDDEN, 1);
    kafka.createTopic(GOOD, 1);
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin
          .createAcls(
              List.of(
                  new AclBinding(
                      new ResourcePattern(ResourceType.TOPIC, FORBIDDEN, PatternType.LITERAL),
                      new AccessControlEntry(
                          "User:ANONYMOUS", "*", AclOperation.WRITE, AclPermissionType.DENY))))
          .all()
          .get();
    }
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static long write(HikariDataSource ds, Outbox outbox, String to, String value)
      throws SQLException {
    try (Connection c = ds.getConnection()) {
      return outbox.write(c, to, null, value.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void aRowForATopicTheRelayMayNotWriteIsDeadLetteredAndTheOthersArePublished() throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:forbidden;DB_CLOSE_DELAY=-1");
    String bootstrap = kafka.bootstrapServers();
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    try (HikariDataSource ds = new HikariDataSource(config)) {
      Outbox outbox = Outbox.builder().table("forbidden_outbox").build();
      try (Connection c = ds.getConnection()) {
        outbox.createTableIfAbsent(c);
      }
      write(ds, outbox, GOOD, "good-0");
      long refused = write(ds, outbox, FORBIDDEN, "not-allowed");
      write(ds, outbox, GOOD, "good-1");
      try (OutboxRelay relay =
          OutboxRelay.builder()
              // The test's dead-letter topics are created at start.
              .createTopics(true)
              .dataSource(ds)
              .kafkaProperties(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))
              .table("forbidden_outbox")
              .positionTopic("forbidden-positions")
              .deadLetterTopic("forbidden-dlt")
              // missingTopicTimeout: the default, 2 minutes of the fake clock
              .ticker(clock)
              .build()) {
        relay.start();
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .untilAsserted(
                () -> {
                  clock.advance(Duration.ofSeconds(10));
                  assertThat(relay.state()).isEqualTo(ComponentState.RUNNING);
                  assertThat(TopicReader.readCommitted(bootstrap, GOOD))
                      .extracting(r -> text(r.value()))
                      .containsExactly("good-0", "good-1");
                });
        List<ConsumerRecord<byte[], byte[]>> dead =
            TopicReader.readCommitted(bootstrap, "forbidden-dlt");
        assertThat(dead).hasSize(1);
        assertThat(text(dead.get(0).headers().lastHeader(Outbox.ID_HEADER).value()))
            .isEqualTo(Long.toString(refused));
        assertThat(text(dead.get(0).headers().lastHeader(DeadLetterHeaders.REASON).value()))
            .isEqualTo("refused-by-kafka");
        assertThat(
                text(dead.get(0).headers().lastHeader(DeadLetterHeaders.EXCEPTION_CLASS).value()))
            .contains("TopicAuthorization");
      }
    }
  }
}
