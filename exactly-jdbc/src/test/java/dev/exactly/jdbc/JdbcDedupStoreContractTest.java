package dev.exactly.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ConfigurationException;
import dev.exactly.Ticker;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.dedup.DedupStoreContract;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The dedup-store contract on each database, through HikariCP as users would run it. */
class JdbcDedupStoreContractTest {
  private static final AtomicInteger POOLS = new AtomicInteger();

  static HikariDataSource pool(String url, int size) {
    return pool(url, size, 500);
  }

  /**
   * A pool of a database that is down. Each of the store's retries waits the whole connection
   * timeout, ten of them in the unreachable-store test: HikariCP's shortest, 250 ms, halves that
   * wait, and the error is the same.
   */
  static HikariDataSource downPool(String url) {
    return pool(url, 1, 250);
  }

  private static HikariDataSource pool(String url, int size, long connectionTimeoutMillis) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(size);
    config.setPoolName("contract-" + POOLS.incrementAndGet());
    config.setConnectionTimeout(connectionTimeoutMillis);
    config.setInitializationFailTimeout(-1);
    return new HikariDataSource(config);
  }

  /**
   * Leases and retention on the fake clock the contract advances, retry waits in real time: the
   * many-thread tests lose lock races that the store retries (H2's MERGE, InnoDB deadlocks) while
   * the test thread is blocked on their answers and cannot move a fake clock for them. {@link
   * JdbcDedupStoreRetryTest} puts the waits on a fake clock.
   */
  static Ticker leasesOn(FakeClock clock) {
    return new Ticker() {
      @Override
      public long nanoTime() {
        return Ticker.system().nanoTime();
      }

      @Override
      public long millis() {
        return clock.millis();
      }

      @Override
      public void sleep(Duration duration) throws InterruptedException {
        Ticker.system().sleep(duration);
      }
    };
  }

  abstract static class OnDatabase extends DedupStoreContract {
    final FakeClock clock = FakeClock.atEpochPlusOneYear();

    abstract HikariDataSource dataSource();

    abstract String unreachableUrl();

    abstract Database database();

    @Override
    protected DedupStore newStore() {
      return JdbcDedupStore.builder(dataSource())
          .table("exactly_dedup_contract")
          .ticker(leasesOn(clock))
          .build();
    }

    @Override
    protected DedupStore unreachableStore() {
      HikariDataSource down = downPool(unreachableUrl());
      DedupStore store =
          JdbcDedupStore.builder(down)
              .table("exactly_dedup_contract")
              .database(database())
              .createTable(false)
              .build();
      return new DedupStore() {
        @Override
        public java.util.Map<String, dev.exactly.dedup.Claim> claim(
            java.util.Collection<String> keys, Duration lease) {
          return store.claim(keys, lease);
        }

        @Override
        public java.util.Set<String> complete(
            java.util.Collection<dev.exactly.dedup.Claim.Claimed> claims,
            Duration retention,
            java.util.Map<String, dev.exactly.dedup.StoredResult> results) {
          return store.complete(claims, retention, results);
        }

        @Override
        public java.util.Set<String> extend(
            java.util.Collection<dev.exactly.dedup.Claim.Claimed> claims, Duration lease) {
          return store.extend(claims, lease);
        }

        @Override
        public void release(java.util.Collection<dev.exactly.dedup.Claim.Claimed> claims) {
          store.release(claims);
        }

        @Override
        public int purgeExpired() {
          return store.purgeExpired();
        }

        @Override
        public void ping(Duration timeout) {
          store.ping(timeout);
        }

        @Override
        public String name() {
          return store.name();
        }

        @Override
        public void close() {
          down.close();
        }
      };
    }

    @Override
    protected void advance(Duration d) {
      clock.advance(d);
    }

    @Test
    void aBadTableNameFailsAtBuildNamingTheKey() {
      assertThatThrownBy(() -> JdbcDedupStore.builder(dataSource()).table("dedup; drop").build())
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("dedup.table='dedup; drop'");
    }

    @Test
    void anUnreachableDatabaseFailsAtBuildWithTheFix() {
      try (HikariDataSource down = downPool(unreachableUrl())) {
        assertThatThrownBy(() -> JdbcDedupStore.builder(down).build())
            .isInstanceOf(DedupStoreException.class)
            .hasMessageContaining("cannot prepare dedup table exactly_dedup");
      }
    }

    @Test
    void aPingFailsNamingTheStoreOnceItsTableIsDropped() throws Exception {
      String table = "exactly_dedup_ping_" + POOLS.incrementAndGet();
      JdbcDedupStore s = JdbcDedupStore.builder(dataSource()).table(table).build();
      s.ping(Duration.ofSeconds(5));
      try (Connection c = dataSource().getConnection();
          Statement st = c.createStatement()) {
        c.setAutoCommit(true);
        st.execute("DROP TABLE " + table);
      }
      assertThatThrownBy(() -> s.ping(Duration.ofSeconds(5)))
          .isInstanceOf(DedupStoreException.class)
          .hasMessageContaining("dedup store " + s.name() + " did not answer a ping");
    }

    @Test
    void aPingFailsOnceItsPoolIsClosed() {
      HikariDataSource own = pool(dataSource().getJdbcUrl(), 1);
      JdbcDedupStore s =
          JdbcDedupStore.builder(own)
              .table("exactly_dedup_contract")
              .ticker(leasesOn(clock))
              .build();
      s.ping(Duration.ofSeconds(5));
      own.close();
      assertThatThrownBy(() -> s.ping(Duration.ofSeconds(5)))
          .isInstanceOf(DedupStoreException.class)
          .hasMessageContaining(s.name())
          .hasMessageContaining("has been closed");
    }

    @Test
    void theDialectIsDetected() {
      assertThat(store.name()).isEqualTo(Dialect.of(database()).name() + ":exactly_dedup_contract");
    }
  }

  @Nested
  class PostgreSql extends OnDatabase {
    static HikariDataSource ds;

    @BeforeAll
    static void open() {
      ExternalService.POSTGRESQL.assumeAvailable();
      ds = pool(ExternalService.POSTGRESQL.url(), 10);
    }

    @AfterAll
    static void close() {
      if (ds != null) {
        ds.close();
      }
    }

    @Override
    HikariDataSource dataSource() {
      return ds;
    }

    @Override
    String unreachableUrl() {
      return "jdbc:postgresql://127.0.0.1:1/test?user=postgres&connectTimeout=1";
    }

    @Override
    Database database() {
      return Database.POSTGRESQL;
    }
  }

  @Nested
  class MariaDb extends OnDatabase {
    static HikariDataSource ds;

    @BeforeAll
    static void open() {
      ExternalService.MARIADB.assumeAvailable();
      ds = pool(ExternalService.MARIADB.url(), 10);
    }

    @AfterAll
    static void close() {
      if (ds != null) {
        ds.close();
      }
    }

    @Override
    HikariDataSource dataSource() {
      return ds;
    }

    @Override
    String unreachableUrl() {
      return "jdbc:mariadb://127.0.0.1:1/test?user=root&connectTimeout=1000";
    }

    @Override
    Database database() {
      return Database.MARIADB;
    }
  }

  @Nested
  class H2 extends OnDatabase {
    static HikariDataSource ds;

    @BeforeAll
    static void open() {
      ds = pool("jdbc:h2:mem:dedupcontract;DB_CLOSE_DELAY=-1", 10);
    }

    @AfterAll
    static void close() {
      ds.close();
    }

    @Override
    HikariDataSource dataSource() {
      return ds;
    }

    @Override
    String unreachableUrl() {
      return "jdbc:h2:tcp://127.0.0.1:1/mem:nothing";
    }

    @Override
    Database database() {
      return Database.H2;
    }
  }
}
