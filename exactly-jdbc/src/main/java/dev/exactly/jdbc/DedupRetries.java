package dev.exactly.jdbc;

import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.internal.Waits;
import dev.exactly.jdbc.internal.SqlErrorKind;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one piece of a dedup call again after an error the database says is worth retrying, waiting
 * the policy's backoff on the store's ticker; then gives up with a {@link DedupStoreException}.
 * Every piece is safe to repeat: a claim retries with the same token, so a retry after a lost
 * answer finds its own claim.
 */
final class DedupRetries {
  private static final Logger log = LoggerFactory.getLogger(DedupRetries.class);

  /** A piece of work on the database. */
  @FunctionalInterface
  interface SqlWork<T> {
    T run() throws SQLException;
  }

  private final DedupTable table;
  private final RetryPolicy policy;
  private final Ticker ticker;

  DedupRetries(DedupTable table, RetryPolicy policy, Ticker ticker) {
    this.table = table;
    this.policy = policy;
    this.ticker = ticker;
  }

  /**
   * @param what the call, for messages: claim, complete, release, purge
   * @throws DedupStoreException when the work failed for good; nothing was decided
   */
  <T> T run(String what, SqlWork<T> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return work.run();
      } catch (SQLException e) {
        SqlErrorKind kind = table.dialect.classify(e);
        // A duplicate key here is H2's MERGE losing a race for a new key: the retry finds the row.
        boolean retriable = kind.isTransient() || kind == SqlErrorKind.DUPLICATE_KEY;
        if (!retriable || !policy.canRetryAfter(attempt)) {
          throw new DedupStoreException(
              "dedup store "
                  + table
                  + " could not "
                  + what
                  + " ("
                  + kind
                  + ": "
                  + e.getMessage()
                  + "); nothing was decided for this call, retry it later",
              e);
        }
        log.debug("dedup {} on {} failed ({}), attempt {}; retrying", what, table, kind, attempt);
        pause(attempt);
      }
    }
  }

  private void pause(int attempt) {
    try {
      // A store call has no state to end it early: the caller's interrupt is the way out.
      Waits.sleepWhile(ticker, policy.backoffAfter(attempt), () -> true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DedupStoreException("interrupted while retrying the dedup store " + table, e);
    }
  }
}
