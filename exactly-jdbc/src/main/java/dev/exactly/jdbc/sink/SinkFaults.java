package dev.exactly.jdbc.sink;

/**
 * Named points in the sink's commit path where a test may halt the process (or pause it) to prove
 * the guarantee holds at exactly that point. Production code leaves the default, {@link #NONE}.
 *
 * <p>Called on the engine thread; an exception thrown here is treated like a failure of the code at
 * that point.
 */
@FunctionalInterface
public interface SinkFaults {

  /** Does nothing. */
  SinkFaults NONE = point -> {};

  /** Where in the commit path the engine is. */
  enum Point {
    /** The transaction is open and the handler has not run yet. */
    BEFORE_HANDLER,
    /** The handler wrote its rows; the offsets are not written and nothing is committed. */
    INSIDE_DB_TRANSACTION,
    /** The database committed rows and offsets; Kafka has not been told. */
    AFTER_DB_COMMIT,
    /** A record went to the dead-letter topic; its offset is not yet committed in the database. */
    AFTER_DEAD_LETTER
  }

  /** Called when the engine reaches {@code point}. */
  void at(Point point);
}
