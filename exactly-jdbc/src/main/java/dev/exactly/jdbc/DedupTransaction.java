package dev.exactly.jdbc;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.StoredResult;
import dev.exactly.dedup.TransactionalDedupStore;
import dev.exactly.jdbc.internal.Transactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * One key's effect and its completion in one database transaction, for {@link
 * TransactionalDedupStore#completeWith}.
 *
 * <p>The key is marked done <em>before</em> the work runs, not after: the update both checks that
 * the claim is still this caller's and locks the row until the commit, so no other instance can
 * take the key over while the effect is being written (its claim waits for the lock, then finds the
 * key done). A lost claim is found before any work is done.
 */
final class DedupTransaction {
  private final DataSource dataSource;
  private final DedupTable table;

  DedupTransaction(DataSource dataSource, DedupTable table) {
    this.dataSource = dataSource;
    this.table = table;
  }

  /**
   * @return false, with nothing written, when the claim no longer holds the key
   */
  boolean run(Claim.Claimed claim, long now, long until, TransactionalDedupStore.Work work)
      throws Exception {
    try (Connection c = dataSource.getConnection()) {
      return Transactions.run(c, tx -> completeAndWork(tx, claim, now, until, work));
    }
  }

  private boolean completeAndWork(
      Connection tx, Claim.Claimed claim, long now, long until, TransactionalDedupStore.Work work)
      throws Exception {
    try (PreparedStatement ps = tx.prepareStatement(table.completeHeld())) {
      ps.setInt(1, DedupTable.DONE);
      ps.setLong(2, until);
      ps.setLong(3, now);
      ps.setString(4, claim.key());
      ps.setString(5, claim.token());
      if (ps.executeUpdate() == 0) {
        // Nothing was written and the work does not run: committing this empty transaction is
        // the same as rolling it back.
        return false;
      }
    }
    StoredResult result = work.run(tx);
    if (result != null) {
      storeResult(tx, claim, result);
    }
    return true;
  }

  private void storeResult(Connection tx, Claim.Claimed claim, StoredResult result)
      throws SQLException {
    try (PreparedStatement ps = tx.prepareStatement(table.storeResult())) {
      ps.setBytes(1, result.bytes());
      ps.setString(2, claim.key());
      ps.setString(3, claim.token());
      ps.executeUpdate();
    }
  }
}
