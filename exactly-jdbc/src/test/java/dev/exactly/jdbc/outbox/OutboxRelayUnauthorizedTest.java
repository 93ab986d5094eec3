package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A relay whose {@code transactional.id} the broker refuses (an ACL denies it) cannot be helped by
 * retrying: it must stop in FAILED with Kafka's refusal, not warn and retry forever. Its own
 * broker, with an authorizer that allows everything (no ACLs, every client is ANONYMOUS on
 * PLAINTEXT) but that one id.
 */
class OutboxRelayUnauthorizedTest {
  private static final String NAME = "unauthorized";
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void brokerDenyingTheRelaysTransactionalId() throws Exception {
    kafka =
        EmbeddedKafka.builder()
            .brokerProperty(
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
            .brokerProperty("allow.everyone.if.no.acl.found", "true")
            .start();
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin
          .createAcls(
              List.of(
                  new AclBinding(
                      new ResourcePattern(
                          ResourceType.TRANSACTIONAL_ID,
                          "exactly-outbox-" + NAME,
                          PatternType.LITERAL),
                      new AccessControlEntry(
                          "User:ANONYMOUS", "*", AclOperation.ALL, AclPermissionType.DENY))))
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

  @Test
  void aRelayKafkaRefusesForGoodStopsFailedWithTheRefusal() throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:unauthorized;DB_CLOSE_DELAY=-1");
    OutboxRelay relay =
        OutboxRelay.builder()
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .dataSource(ds)
            .kafkaProperties(Map.of("bootstrap.servers", kafka.bootstrapServers()))
            .table("unauthorized_outbox")
            .name(NAME)
            .build();
    try {
      relay.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> relay.state().isTerminal());
      assertThat(relay.state()).isEqualTo(ComponentState.FAILED);
      assertThat(relay.failure()).get().isInstanceOf(TransactionalIdAuthorizationException.class);
      assertThat(
              Thread.getAllStackTraces().keySet().stream()
                  .map(Thread::getName)
                  .filter(n -> n.equals("exactly-outbox-relay-" + NAME)))
          .as("the relay thread is gone, not retrying")
          .isEmpty();
    } finally {
      assertThat(relay.close(Duration.ofSeconds(10))).isTrue();
    }
    assertThat(relay.state()).isEqualTo(ComponentState.CLOSED);
    assertThat(relay.failure()).isPresent();
  }
}
