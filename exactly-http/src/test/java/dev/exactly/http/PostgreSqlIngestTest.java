package dev.exactly.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.testkit.ExternalService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

class PostgreSqlIngestTest extends AbstractIngestTest {
  @Override
  protected void assumeServer() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @Override
  protected String jdbcUrl() {
    return ExternalService.POSTGRESQL.url();
  }

  /**
   * The ingest's outbox writes do not NOTIFY each; the group's transaction does, once, so the relay
   * still wakes at the commit instead of at its next poll.
   */
  @Test
  void anAcceptedRequestWakesTheRelayAtItsCommit() throws Exception {
    try (Connection listener = DriverManager.getConnection(jdbcUrl());
        Statement s = listener.createStatement()) {
      s.execute("LISTEN exactly_outbox_" + outboxTable().toLowerCase(Locale.ROOT));
      String orderId = unique("wake");
      assertThat(post(unique("k"), order(orderId)).status()).isEqualTo(202);
      PGNotification[] woken = listener.unwrap(PGConnection.class).getNotifications(10_000);
      assertThat(woken).as("a notification on the outbox's channel").isNotEmpty();
    }
  }
}
