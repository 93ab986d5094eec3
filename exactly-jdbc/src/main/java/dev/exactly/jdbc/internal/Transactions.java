package dev.exactly.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One database transaction on a connection the caller owns: begin, work, commit; on any failure a
 * rollback, whose own failure is attached to the first as suppressed, never lost. The connection's
 * auto-commit mode is restored afterwards, so a pooled connection goes back as it came.
 */
public final class Transactions {
  private Transactions() {}

  /**
   * The work inside the transaction; it may throw its own checked exception, which reaches the
   * caller unchanged.
   */
  @FunctionalInterface
  public interface Work<T, X extends Exception> {
    T run(Connection connection) throws SQLException, X;
  }

  /**
   * Runs {@code work} in one transaction on {@code connection} and commits it.
   *
   * @throws SQLException if the work or the commit failed; the transaction was rolled back
   * @throws X if the work threw it; the transaction was rolled back
   */
  public static <T, X extends Exception> T run(Connection connection, Work<T, X> work)
      throws SQLException, X {
    boolean autoCommit = connection.getAutoCommit();
    if (autoCommit) {
      connection.setAutoCommit(false);
    }
    T result;
    try {
      result = work.run(connection);
      connection.commit();
    } catch (Throwable failure) {
      rollback(connection, failure);
      if (autoCommit) {
        try {
          restoreAutoCommit(connection);
        } catch (SQLException | RuntimeException e) {
          failure.addSuppressed(e);
        }
      }
      throw failure;
    }
    if (autoCommit) {
      restoreAutoCommit(connection);
    }
    return result;
  }

  /** Rolls back, attaching a failed rollback to {@code failure}. */
  public static void rollback(Connection connection, Throwable failure) {
    try {
      connection.rollback();
    } catch (SQLException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  private static void restoreAutoCommit(Connection connection) throws SQLException {
    // A connection that broke during the work cannot take the setting; the failure already said so.
    if (!connection.isClosed()) {
      connection.setAutoCommit(true);
    }
  }
}
