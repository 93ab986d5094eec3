package dev.exactly.http;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The caller's own work in the transaction that accepts a request: business rows written on the
 * same connection commit with the idempotency record and the outbox row, or not at all.
 *
 * <p>Runs on the request's thread, after the idempotency record is inserted (so a concurrent
 * duplicate is already held off) and before the outbox row. It must not commit, roll back or close
 * the connection. Throwing {@link IngestRejection} answers with that error and stores it for the
 * key (retries get the same error, and nothing is published); any other exception rolls everything
 * back and answers 500, storing nothing, so a retry runs the hook again.
 */
@FunctionalInterface
public interface IngestHook {
  /** Does nothing. */
  IngestHook NONE = (connection, context) -> {};

  void inTransaction(Connection connection, IngestContext context) throws SQLException;
}
