package dev.exactly.jdbc.outbox;

import dev.exactly.Ticker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Measures the backlog from the id range above the high-water mark: an upper bound, since ids taken
 * by transactions that rolled back or are still open count too, but two index lookups instead of a
 * COUNT that would read the whole backlog. The age is that of the lowest row.
 */
final class BacklogProbe {
  private final OutboxTable table;
  private final OutboxMetrics metrics;
  private final Ticker ticker;

  BacklogProbe(OutboxTable table, OutboxMetrics metrics, Ticker ticker) {
    this.table = table;
    this.metrics = metrics;
    this.ticker = ticker;
  }

  void measure(Connection connection, RelayPosition position) throws SQLException {
    long lowest;
    long highest;
    try (PreparedStatement ps = connection.prepareStatement(table.backlogRange())) {
      ps.setLong(1, position.highWater());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        lowest = rs.getLong(1);
        if (rs.wasNull()) {
          metrics.backlog(0, 0, position.gaps().size());
          return;
        }
        highest = rs.getLong(2);
      }
    }
    long age = 0;
    try (PreparedStatement ps = connection.prepareStatement(table.createdAt())) {
      ps.setLong(1, lowest);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          age = Math.max(0, ticker.millis() - rs.getLong(1));
        }
      }
    }
    metrics.backlog(highest - lowest + 1, age, position.gaps().size());
  }
}
