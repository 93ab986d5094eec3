package dev.exactly.jdbc.internal;

/**
 * What a database error means for the caller, read by a {@link Dialect} from SQLState and vendor
 * code, never from message text.
 */
public enum SqlErrorKind {
  /** The connection broke or the server went away: retry on a new connection. */
  CONNECTION_LOST(true),
  /** The transaction could not be serialized: retry the whole transaction. */
  SERIALIZATION_FAILURE(true),
  /** The database chose this transaction as a deadlock victim: retry the whole transaction. */
  DEADLOCK(true),
  /** A row or table lock was not granted in time: retry the whole transaction. */
  LOCK_TIMEOUT(true),
  /**
   * The database refuses writes for now: a primary demoted in a failover, a replica promoted not
   * yet, a database set read-only for maintenance. Retry until it accepts them again.
   */
  READ_ONLY(true),
  /**
   * The statement was cancelled before it finished: a statement timeout, or an administrator
   * cancelling queries. The database was slow or busy, not the rows wrong: retry.
   */
  STATEMENT_CANCELLED(true),
  /**
   * The server ran out of something it needs for any work (connections, memory, disk): retry once
   * it has recovered.
   */
  RESOURCES_EXHAUSTED(true),
  /** A unique index refused a row: retrying the same statement gives the same answer. */
  DUPLICATE_KEY(false),
  /** Anything else: a bug, bad data or a schema problem; retrying will not help. */
  OTHER(false);

  private final boolean transientError;

  SqlErrorKind(boolean transientError) {
    this.transientError = transientError;
  }

  /** Whether the same work may succeed when retried, in a new transaction. */
  public boolean isTransient() {
    return transientError;
  }
}
