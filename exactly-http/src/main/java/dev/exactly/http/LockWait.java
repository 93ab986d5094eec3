package dev.exactly.http;

import dev.exactly.jdbc.Database;
import dev.exactly.jdbc.internal.Dialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * How long a key's insert waits for a concurrent transaction holding the same key: the wait ends in
 * a lock timeout (409) or, when that transaction commits first, a duplicate key (replay).
 */
final class LockWait {
  private final Duration wait;

  LockWait(Duration wait) {
    this.wait = wait;
  }

  /** Sets the short wait on the transaction (PostgreSQL) or the session (MariaDB, H2). */
  void set(Connection tx, Dialect d) throws SQLException {
    long ms = Math.max(1, wait.toMillis());
    execute(
        tx,
        switch (d.database()) {
          case POSTGRESQL -> "SET LOCAL lock_timeout = '" + ms + "ms'";
          case MARIADB ->
              "SET SESSION innodb_lock_wait_timeout = " + Math.max(1, (ms + 999) / 1000);
          case H2 -> "SET LOCK_TIMEOUT " + ms;
        });
  }

  /**
   * Back to the default wait for the rest of the transaction, on PostgreSQL: a later lock (the
   * NOTIFY queue's at commit, under load, or a hook's) that timed out would otherwise pass for a
   * duplicate in flight. On MariaDB and H2 the setting stays on the pooled connection.
   */
  void reset(Connection tx, Dialect d) throws SQLException {
    if (d.database() == Database.POSTGRESQL) {
      execute(tx, "SET LOCAL lock_timeout TO DEFAULT");
    }
  }

  private static void execute(Connection tx, String sql) throws SQLException {
    try (Statement s = tx.createStatement()) {
      s.execute(sql);
    }
  }
}
