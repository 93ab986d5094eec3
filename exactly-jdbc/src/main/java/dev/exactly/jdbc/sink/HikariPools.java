package dev.exactly.jdbc.sink;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.jdbc.Database;
import dev.exactly.jdbc.internal.Dialect;
import java.time.Duration;

/**
 * Builds the pool for {@link DbSinkBuilder#jdbcUrl}; the only class that touches HikariCP, so the
 * sink runs without it when the user gives a {@code DataSource}.
 */
final class HikariPools {
  private HikariPools() {}

  static boolean available() {
    try {
      Class.forName(
          "com.zaxxer.hikari.HikariDataSource", false, HikariPools.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * A pool of two: one for the batch in flight, one spare for reading positions. Every connection
   * gets the dialect's session limits (bounded lock waits; on PostgreSQL, a session idle inside a
   * transaction for {@code idleInTransaction} is ended by the server), and PostgreSQL connections
   * use TCP keepalive, so a client that vanished without closing its socket (host crash, network
   * partition) loses its session, and with it its row locks, instead of keeping them for hours.
   */
  static HikariDataSource create(
      String jdbcUrl, String name, Duration lockWait, Duration idleInTransaction) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setPoolName(name);
    config.setMaximumPoolSize(2);
    config.setMinimumIdle(1);
    config.setAutoCommit(true);
    Dialect dialect = Database.ofJdbcUrl(jdbcUrl).map(Dialect::of).orElse(null);
    if (dialect != null) {
      dialect.sessionLimits(lockWait, idleInTransaction).ifPresent(config::setConnectionInitSql);
    }
    if (dialect == Dialect.postgresql()) {
      config.addDataSourceProperty("tcpKeepAlive", "true");
    }
    return new HikariDataSource(config);
  }
}
