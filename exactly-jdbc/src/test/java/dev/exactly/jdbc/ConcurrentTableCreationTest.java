package dev.exactly.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.testkit.ExternalService;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Instances that start together all create their tables at once. PostgreSQL's {@code CREATE TABLE
 * IF NOT EXISTS} is not atomic: a session that loses the race fails with a duplicate key in the
 * catalog. No instance may fail to start on that.
 */
class ConcurrentTableCreationTest {
  private static final int INSTANCES = 6;
  private static final int ROUNDS = 15;

  private final ExecutorService pool = Executors.newFixedThreadPool(INSTANCES);
  private final List<HikariDataSource> dataSources = new ArrayList<>();

  @AfterEach
  void close() {
    pool.shutdownNow();
    dataSources.forEach(HikariDataSource::close);
  }

  @ParameterizedTest
  @EnumSource(
      value = ExternalService.class,
      names = {"POSTGRESQL", "MARIADB"})
  void instancesStartingTogetherAllBuildTheirDedupStore(ExternalService database) throws Exception {
    HikariDataSource dataSource = dataSource(database);
    race(
        dataSource,
        "dedup_race_",
        table -> {
          JdbcDedupStore.builder(dataSource).table(table).build();
        });
  }

  @ParameterizedTest
  @EnumSource(
      value = ExternalService.class,
      names = {"POSTGRESQL", "MARIADB"})
  void instancesStartingTogetherAllCreateTheOutboxTable(ExternalService database) throws Exception {
    HikariDataSource dataSource = dataSource(database);
    race(
        dataSource,
        "outbox_race_",
        table -> {
          try (Connection c = dataSource.getConnection()) {
            Outbox.builder().table(table).build().createTableIfAbsent(c);
          }
        });
  }

  private interface Creation {
    void create(String table) throws Exception;
  }

  /** {@link #ROUNDS} times, {@link #INSTANCES} threads create one new table at the same moment. */
  private void race(HikariDataSource dataSource, String prefix, Creation creation)
      throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      String table = prefix + ProcessHandle.current().pid() + "_" + round;
      CyclicBarrier start = new CyclicBarrier(INSTANCES);
      List<Future<?>> creations = new ArrayList<>();
      for (int i = 0; i < INSTANCES; i++) {
        creations.add(
            pool.submit(
                () -> {
                  start.await();
                  creation.create(table);
                  return null;
                }));
      }
      try {
        for (Future<?> f : creations) {
          f.get(30, TimeUnit.SECONDS);
        }
      } finally {
        drop(dataSource, table);
      }
    }
  }

  private HikariDataSource dataSource(ExternalService database) {
    database.assumeAvailable();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(database.url());
    config.setMaximumPoolSize(INSTANCES);
    HikariDataSource dataSource = new HikariDataSource(config);
    dataSources.add(dataSource);
    return dataSource;
  }

  private static void drop(HikariDataSource dataSource, String table) throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
    }
  }
}
