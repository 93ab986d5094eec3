package dev.exactly.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.dedup.Claim;
import dev.exactly.dedup.StoredResult;
import dev.exactly.dedup.TransactionalDedupStore;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.FakeClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * {@link JdbcDedupStore#completeWith}: the effect's writes and its key's completion commit together
 * or not at all, on each database.
 */
class TransactionalCompletionTest {
  private static final Duration LEASE = Duration.ofSeconds(10);
  private static final Duration RETENTION = Duration.ofDays(1);
  private static final AtomicInteger RUNS = new AtomicInteger();

  abstract static class OnDatabase {
    final FakeClock clock = FakeClock.atEpochPlusOneYear();
    final String run = "txc" + ProcessHandle.current().pid() + "x" + RUNS.incrementAndGet();
    final String dedupTable = "dedup_" + run;
    final String effects = "effects_" + run;
    HikariDataSource ds;
    JdbcDedupStore store;

    abstract String url();

    @BeforeEach
    void setUp() throws SQLException {
      HikariConfig c = new HikariConfig();
      c.setJdbcUrl(url());
      c.setMaximumPoolSize(4);
      ds = new HikariDataSource(c);
      store = storeOn(clock);
      try (Connection conn = ds.getConnection();
          Statement s = conn.createStatement()) {
        s.execute("CREATE TABLE " + effects + " (dedup_key VARCHAR(512), note VARCHAR(64))");
      }
    }

    @AfterEach
    void tearDown() throws SQLException {
      if (ds == null) {
        return; // the database was absent and the test skipped
      }
      try (Connection conn = ds.getConnection();
          Statement s = conn.createStatement()) {
        s.execute("DROP TABLE " + effects);
        s.execute("DROP TABLE " + dedupTable);
      }
      ds.close();
    }

    JdbcDedupStore storeOn(FakeClock c) {
      return JdbcDedupStore.builder(ds).table(dedupTable).ticker(c).build();
    }

    Claim.Claimed claim(JdbcDedupStore s, String key) {
      Claim answer = s.claim(List.of(key), LEASE).get(key);
      assertThat(answer).isInstanceOf(Claim.Claimed.class);
      return (Claim.Claimed) answer;
    }

    void insert(Connection c, String key, String note) throws SQLException {
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO " + effects + " (dedup_key, note) VALUES (?, ?)")) {
        ps.setString(1, key);
        ps.setString(2, note);
        ps.executeUpdate();
      }
    }

    List<String> notes(String key) throws SQLException {
      try (Connection c = ds.getConnection();
          PreparedStatement ps =
              c.prepareStatement("SELECT note FROM " + effects + " WHERE dedup_key = ?")) {
        ps.setString(1, key);
        List<String> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
        return out;
      }
    }

    Claim.Status statusFor(String key) {
      return storeOn(clock).claim(List.of(key), LEASE).get(key).status();
    }

    @Test
    void theEffectAndTheKeyCommitTogether() throws Exception {
      Claim.Claimed claim = claim(store, "k");
      boolean held =
          store.completeWith(
              claim,
              RETENTION,
              c -> {
                insert(c, "k", "first");
                return null;
              });
      assertThat(held).isTrue();
      assertThat(notes("k")).containsExactly("first");
      assertThat(statusFor("k")).isEqualTo(Claim.Status.DONE);
    }

    @Test
    void aResultTheWorkReturnsIsStoredWithTheKey() throws Exception {
      Claim.Claimed claim = claim(store, "k");
      assertThat(store.completeWith(claim, RETENTION, c -> StoredResult.ofUtf8("receipt-7")))
          .isTrue();
      Claim answer = storeOn(clock).claim(List.of("k"), LEASE).get("k");
      assertThat(answer).isInstanceOf(Claim.Done.class);
      assertThat(((Claim.Done) answer).result()).contains(StoredResult.ofUtf8("receipt-7"));
    }

    @Test
    void aFailedEffectRollsBackItsWritesAndKeepsTheClaimForARetry() throws Exception {
      Claim.Claimed claim = claim(store, "k");
      IllegalStateException boom = new IllegalStateException("downstream said no");
      assertThatThrownBy(
              () ->
                  store.completeWith(
                      claim,
                      RETENTION,
                      c -> {
                        insert(c, "k", "rolled back");
                        throw boom;
                      }))
          .isSameAs(boom);
      assertThat(notes("k")).isEmpty();
      // Still this caller's claim, not done: another caller sees it in flight.
      assertThat(statusFor("k")).isEqualTo(Claim.Status.IN_FLIGHT);
      assertThat(
              store.completeWith(
                  claim,
                  RETENTION,
                  c -> {
                    insert(c, "k", "retry");
                    return null;
                  }))
          .isTrue();
      assertThat(notes("k")).containsExactly("retry");
    }

    @Test
    void aClaimTakenOverAfterItsLeaseWritesNothing() throws Exception {
      Claim.Claimed mine = claim(store, "k");
      // Another instance, whose clock is past this claim's lease, takes the key over.
      FakeClock later = FakeClock.atEpochPlusOneYear();
      later.advance(LEASE.plusSeconds(1));
      JdbcDedupStore other = storeOn(later);
      Claim.Claimed theirs = claim(other, "k");
      AtomicInteger ran = new AtomicInteger();
      boolean held =
          store.completeWith(
              mine,
              RETENTION,
              c -> {
                ran.incrementAndGet();
                insert(c, "k", "late");
                return null;
              });
      assertThat(held).isFalse();
      assertThat(ran).hasValue(0);
      assertThat(notes("k")).isEmpty();
      assertThat(
              other.completeWith(
                  theirs,
                  RETENTION,
                  c -> {
                    insert(c, "k", "taker");
                    return null;
                  }))
          .isTrue();
      assertThat(notes("k")).containsExactly("taker");
    }

    @Test
    void aRepeatAfterACommitWhoseReplyWasLostWritesNothing() throws Exception {
      Claim.Claimed claim = claim(store, "k");
      TransactionalWorkCounter work = new TransactionalWorkCounter(this, "k");
      assertThat(store.completeWith(claim, RETENTION, work)).isTrue();
      // The consumer retries when the commit's reply did not arrive: the key is already done.
      assertThat(store.completeWith(claim, RETENTION, work)).isFalse();
      assertThat(work.runs).hasValue(1);
      assertThat(notes("k")).hasSize(1);
    }
  }

  /** Inserts one row each time it runs, and counts its runs. */
  static final class TransactionalWorkCounter implements TransactionalDedupStore.Work {
    final AtomicInteger runs = new AtomicInteger();
    private final OnDatabase db;
    private final String key;

    TransactionalWorkCounter(OnDatabase db, String key) {
      this.db = db;
      this.key = key;
    }

    @Override
    public StoredResult run(Connection c) throws SQLException {
      runs.incrementAndGet();
      db.insert(c, key, "run " + runs.get());
      return null;
    }
  }

  @Nested
  class OnH2 extends OnDatabase {
    @Override
    String url() {
      return "jdbc:h2:mem:" + run + ";DB_CLOSE_DELAY=-1";
    }
  }

  @Nested
  class OnPostgreSql extends OnDatabase {
    @Override
    String url() {
      ExternalService.POSTGRESQL.assumeAvailable();
      return ExternalService.POSTGRESQL.url();
    }
  }

  @Nested
  class OnMariaDb extends OnDatabase {
    @Override
    String url() {
      ExternalService.MARIADB.assumeAvailable();
      return ExternalService.MARIADB.url();
    }
  }
}
