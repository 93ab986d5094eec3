package dev.exactly.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactly.RetryPolicy;
import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.testkit.FakeClock;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the JDBC store retries: on its policy, waiting on its ticker, only what is transient. */
class JdbcDedupStoreRetryTest {
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final FakeClock clock = FakeClock.atEpochPlusOneYear();
  private final FlakyDataSource dataSource = new FlakyDataSource();
  private final ExecutorService caller = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    caller.shutdownNow();
  }

  @Test
  void aLostConnectionIsRetriedAfterThePolicysBackoffOnTheTicker() throws Exception {
    JdbcDedupStore store =
        JdbcDedupStore.builder(dataSource)
            .ticker(clock)
            .retry(RetryPolicy.fixed(3, Duration.ofSeconds(30)))
            .build();
    dataSource.failNext(1);

    CompletableFuture<Map<String, Claim>> answer =
        CompletableFuture.supplyAsync(
            () -> store.claim(List.of("k"), Duration.ofMinutes(1)), caller);
    awaitSleeper();
    clock.advance(Duration.ofSeconds(29));
    awaitSleeper();
    assertThat(answer).isNotDone();
    assertThat(dataSource.borrowed()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(1));
    assertThat(answer.get(10, TimeUnit.SECONDS).get("k")).isInstanceOf(Claim.Claimed.class);
    assertThat(dataSource.borrowed()).isEqualTo(2);
  }

  @Test
  void aCallGivesUpAfterThePolicysAttemptsNamingWhatFailed() {
    JdbcDedupStore store =
        JdbcDedupStore.builder(dataSource)
            .ticker(clock)
            .retry(RetryPolicy.fixed(2, Duration.ZERO))
            .build();
    dataSource.failNext(Integer.MAX_VALUE);

    assertThatThrownBy(() -> store.claim(List.of("k"), Duration.ofMinutes(1)))
        .isInstanceOf(DedupStoreException.class)
        .hasMessageContaining("could not claim (CONNECTION_LOST");
    assertThat(dataSource.borrowed()).isEqualTo(2);
  }

  @Test
  void anErrorThatRetryingCannotFixFailsAtOnce() {
    JdbcDedupStore store =
        JdbcDedupStore.builder(dataSource)
            .table("never_created")
            .createTable(false)
            .database(Database.H2)
            .ticker(clock)
            .retry(RetryPolicy.fixed(5, Duration.ofSeconds(30)))
            .build();
    // build() may borrow a connection of its own (on H2 it reads WRITE_DELAY): count the claim's.
    int before = dataSource.borrowed();

    assertThatThrownBy(() -> store.claim(List.of("k"), Duration.ofMinutes(1)))
        .isInstanceOf(DedupStoreException.class)
        .hasMessageContaining("(OTHER: ");
    assertThat(dataSource.borrowed() - before).as("one attempt, no retry").isEqualTo(1);
  }

  @Test
  void aSetterCalledTwiceKeepsTheLastValue() {
    JdbcDedupStore store =
        JdbcDedupStore.builder(dataSource)
            .table("first_choice; not even valid")
            .table("second_choice")
            .database(Database.POSTGRESQL)
            .database(Database.H2)
            .build();

    assertThat(store.name()).isEqualTo("h2:second_choice");
  }

  private void awaitSleeper() {
    await()
        .atMost(Duration.ofSeconds(10))
        .alias("the store waits on the ticker")
        .until(() -> clock.sleepers() > 0);
  }

  /** An H2 database whose next connections can be made to fail as a lost server would. */
  private static final class FlakyDataSource implements DataSource {
    private final JdbcDataSource h2 = new JdbcDataSource();
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger borrowed = new AtomicInteger();

    FlakyDataSource() {
      h2.setURL("jdbc:h2:mem:dedupretry" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    }

    void failNext(int n) {
      failures.set(n);
      borrowed.set(0);
    }

    int borrowed() {
      return borrowed.get();
    }

    @Override
    public Connection getConnection() throws SQLException {
      borrowed.incrementAndGet();
      if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new SQLTransientConnectionException("server gone", "08006");
      }
      return h2.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
