package dev.exactly.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.jdbc.internal.Dialect.TransactionHorizon;
import dev.exactly.testkit.ExternalService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The dialect methods the outbox relay uses, on each real database: session locks exclude a second
 * session and die with their session; the transaction horizon sees another session's open
 * transaction; H2 says it cannot tell.
 */
class OutboxDialectTest {

  private static Connection connect(ExternalService service) throws SQLException {
    service.assumeAvailable();
    return DriverManager.getConnection(service.url());
  }

  @Test
  void postgresqlLockExcludesOthersAndDiesWithItsSession() throws SQLException {
    lockExcludesOthersAndDiesWithItsSession(ExternalService.POSTGRESQL, Dialect.postgresql());
  }

  @Test
  void mariadbLockExcludesOthersAndDiesWithItsSession() throws SQLException {
    lockExcludesOthersAndDiesWithItsSession(ExternalService.MARIADB, Dialect.mariadb());
  }

  private static void lockExcludesOthersAndDiesWithItsSession(ExternalService service, Dialect d)
      throws SQLException {
    String name = "exactly-test-lock:" + ProcessHandle.current().pid() + ":" + System.nanoTime();
    try (Connection a = connect(service)) {
      Connection b = connect(service);
      assertThat(d.tryLock(a, name)).isTrue();
      assertThat(d.tryLock(b, name)).isFalse();
      d.unlock(a, name);
      assertThat(d.tryLock(b, name)).isTrue();
      assertThat(d.tryLock(a, name)).isFalse();
      b.close(); // a crashed holder's session ends: the lock goes with it
      // The server ends the session a moment after the client hangs up.
      await().atMost(Duration.ofSeconds(30)).until(() -> d.tryLock(a, name));
      d.unlock(a, name);
    }
  }

  @Test
  void postgresqlHorizonSeesAnotherSessionsOpenTransaction() throws Exception {
    horizonSeesAnOpenTransaction(ExternalService.POSTGRESQL, Dialect.postgresql());
  }

  @Test
  void mariadbHorizonSeesAnotherSessionsOpenTransaction() throws Exception {
    horizonSeesAnOpenTransaction(ExternalService.MARIADB, Dialect.mariadb());
  }

  private static void horizonSeesAnOpenTransaction(ExternalService service, Dialect d)
      throws Exception {
    String table = "horizon_t" + ProcessHandle.current().pid();
    try (Connection reader = connect(service);
        Connection writer = connect(service);
        Statement ddl = reader.createStatement()) {
      ddl.execute("CREATE TABLE IF NOT EXISTS " + table + " (id INT)");
      try {
        Instant before = d.transactionHorizon(reader).orElseThrow().now();
        Thread.sleep(1100); // MariaDB shows whole seconds
        writer.setAutoCommit(false);
        try (Statement s = writer.createStatement()) {
          s.execute("INSERT INTO " + table + " VALUES (1)");
        }
        TransactionHorizon open = d.transactionHorizon(reader).orElseThrow();
        assertThat(open.oldestOpenStart()).isPresent();
        Instant oldest = open.oldestOpenStart().get();
        assertThat(oldest).isBeforeOrEqualTo(open.now());
        assertThat(Duration.between(oldest, open.now())).isLessThan(Duration.ofMinutes(10));
        assertThat(open.now()).isAfter(before);
        writer.rollback();
      } finally {
        ddl.execute("DROP TABLE " + table);
      }
    }
  }

  @Test
  void h2HasNoSessionLocksAndCannotTellOpenTransactions() throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:h2:mem:horizon")) {
      Dialect d = Dialect.h2();
      assertThat(d.tryLock(c, "x")).isTrue();
      assertThat(d.transactionHorizon(c)).isEqualTo(Optional.empty());
      assertThat(d.notifyStatement()).isEmpty();
    }
  }

  @Test
  void onlyPostgresqlNotifies() {
    assertThat(Dialect.postgresql().notifyStatement()).isPresent();
    assertThat(Dialect.postgresql().listenStatement("exactly_outbox_t"))
        .contains("LISTEN \"exactly_outbox_t\"");
    assertThat(Dialect.mariadb().listenStatement("c")).isEmpty();
  }
}
