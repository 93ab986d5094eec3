package dev.exactly.dedup;

import java.sql.Connection;
import java.time.Duration;

/**
 * A {@link DedupStore} in a database that can also hold the effect: it marks one claimed key done
 * in the same database transaction as the handler's own writes, so the key is never done without
 * its effect, nor the effect committed without its key. That closes the one window a plain store
 * leaves (a crash after the effect, before the completion), for effects that are writes to the
 * store's own database. {@code JdbcDedupStore} implements it.
 */
public interface TransactionalDedupStore extends DedupStore {

  /** The effect's writes, on the transaction's connection; it must not commit or roll back. */
  @FunctionalInterface
  interface Work {
    /**
     * @return a small result to store with the key, or null for none
     */
    StoredResult run(Connection connection) throws Exception;
  }

  /**
   * Opens a transaction, marks {@code claim}'s key done only if the claim still holds it (its token
   * and not already done), runs {@code work} on the same connection and commits both. When the
   * claim no longer holds the key, the transaction is rolled back and {@code work} does not run.
   * When {@code work} or the commit fails, everything is rolled back: the key stays claimed by this
   * caller, to be retried or released.
   *
   * @param retention how long the done key is remembered
   * @return true when the effect and the completion committed together; false when the claim was
   *     lost (another caller took the key over, or an earlier attempt whose commit reply was lost
   *     already completed it) and nothing was written
   * @throws Exception what {@code work} threw, unchanged, or the database's failure; nothing was
   *     committed, unless the commit's reply itself was lost (then a retry returns false)
   */
  boolean completeWith(Claim.Claimed claim, Duration retention, Work work) throws Exception;
}
