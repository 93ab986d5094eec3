package dev.exactly.jdbc.outbox;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.postgresql.PGConnection;

/**
 * Waits for PostgreSQL notifications on a session that has run LISTEN. Kept apart so the PostgreSQL
 * driver is loaded only for PostgreSQL.
 */
final class PgListener implements Idler {
  private final PGConnection connection;
  private final Connection session;

  PgListener(Connection connection, String listenStatement) throws SQLException {
    this.session = connection;
    this.connection = connection.unwrap(PGConnection.class);
    try (Statement s = connection.createStatement()) {
      s.execute(listenStatement);
    }
  }

  @Override
  public void idle(Duration atMost) throws SQLException {
    // Returns as soon as a notification arrives; collapses any that queued up meanwhile.
    connection.getNotifications((int) Math.max(1, atMost.toMillis()));
  }

  @Override
  public void close() {
    try (Statement s = session.createStatement()) {
      s.execute("UNLISTEN *");
    } catch (SQLException e) {
      // the session is broken and will not go back to a pool in a usable state anyway
    }
  }

  @Override
  public boolean prompt() {
    return true;
  }
}
