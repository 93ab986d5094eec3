package dev.exactly.jdbc.outbox;

import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Deletes published rows older than the retention, a small batch per statement (each its own
 * transaction, by primary key), so writers never wait on a long delete. Only ids the committed
 * position covers are deleted: at most the high-water mark, not an awaited gap and not an id given
 * up by the gap timeout that is still read.
 *
 * <p>It reads the oldest rows in id order and stops at the first one younger than the retention:
 * ids are taken in time order, so the rows after it are (nearly all) younger too. Filtering on the
 * creation time in the query instead would walk every published row still kept, on every run.
 */
final class Cleaner {
  /** Batches per run, so cleanup never holds up publishing for long. */
  private static final int MAX_BATCHES = 10;

  private final OutboxTable table;
  private final Duration retention;
  private final int batchSize;
  private final FaultInjection faults;

  Cleaner(OutboxTable table, Duration retention, int batchSize, FaultInjection faults) {
    this.table = table;
    this.retention = retention;
    this.batchSize = batchSize;
    this.faults = faults;
  }

  /**
   * @param connection in auto-commit mode
   * @param published the position of the last committed Kafka transaction
   * @return rows deleted
   */
  int run(Connection connection, RelayPosition published, long nowMillis) throws SQLException {
    long cutoff = nowMillis - retention.toMillis();
    int total = 0;
    for (int batch = 0; batch < MAX_BATCHES; batch++) {
      List<Long> ids = new ArrayList<>();
      int seen = 0;
      boolean young = false;
      try (PreparedStatement ps = connection.prepareStatement(table.selectOldest(batchSize))) {
        ps.setLong(1, published.highWater());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            seen++;
            long id = rs.getLong(1);
            if (rs.getLong(2) >= cutoff) {
              young = true;
              break;
            }
            // An id given up by the gap timeout is still awaited: its row, if it appears, is
            // published late, so it must not be deleted first.
            if (!published.gaps().containsKey(id) && !published.givenUp().containsKey(id)) {
              ids.add(id);
            }
          }
        }
      }
      if (!ids.isEmpty()) {
        try (PreparedStatement ps = connection.prepareStatement(table.deleteIds(ids.size()))) {
          for (int i = 0; i < ids.size(); i++) {
            ps.setLong(i + 1, ids.get(i));
          }
          total += ps.executeUpdate();
        }
        faults.reached(FaultPoint.RELAY_MID_CLEANUP);
      }
      if (young || seen < batchSize || ids.isEmpty()) {
        break;
      }
    }
    return total;
  }
}
