package dev.exactly.jdbc.outbox;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The next batch, read on the relay thread while the committer thread commits the current one. Its
 * result counts only if that commit succeeds; otherwise the batch is read again.
 */
final class ReadAhead {
  private final OutboxReader reader;
  private final Connection connection;
  private final RelayPosition from;
  private OutboxReader.Batch result;
  private SQLException failure;

  ReadAhead(OutboxReader reader, Connection connection, RelayPosition from) {
    this.reader = reader;
    this.connection = connection;
    this.from = from;
  }

  void run() {
    try {
      result = reader.next(connection, from);
    } catch (SQLException e) {
      failure = e;
    }
  }

  /** The batch read; a read failure surfaces here, after the commit was accounted for. */
  OutboxReader.Batch result() throws SQLException {
    if (failure != null) {
      throw failure;
    }
    return result;
  }
}
