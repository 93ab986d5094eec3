package dev.exactly;

/**
 * Named places in every engine's commit path where a crash test may halt (or pause) the process to
 * prove the guarantee holds at exactly that point. See {@link FaultInjection}.
 */
public enum FaultPoint {
  /** Processor: every output of the batch is sent; the offsets are not yet in the transaction. */
  PROCESSOR_AFTER_SENDS_BEFORE_COMMIT,
  /**
   * Processor: the offsets are in the transaction (exactly-once) or the sends are flushed
   * (at-least-once); the commit is about to start. Exactly-once reaches it on the committer thread.
   */
  PROCESSOR_DURING_COMMIT,
  /** Processor: the batch has committed; the next poll has not started. */
  PROCESSOR_AFTER_COMMIT,

  /** DB sink: the transaction is open and the handler has not run yet. */
  SINK_BEFORE_HANDLER,
  /** DB sink: the handler wrote its rows; the offsets are not written, nothing is committed. */
  SINK_INSIDE_DB_TRANSACTION,
  /** DB sink: the database committed rows and offsets; Kafka has not been told. */
  SINK_AFTER_DB_COMMIT,
  /**
   * DB sink: a record was given up; its dead letter and the offset past it are committed, the dead
   * letter is not yet published.
   */
  SINK_AFTER_DEAD_LETTER,

  /** Idempotent consumer: a handler returned, its side effect happened; nothing is stored yet. */
  CONSUMER_AFTER_EFFECT,
  /** Idempotent consumer: a record went to the dead-letter topic; its offset is not committed. */
  CONSUMER_AFTER_DEAD_LETTER,
  /** Idempotent consumer: the store marked keys done; their offsets are not yet committed. */
  CONSUMER_AFTER_COMPLETE,
  /** Idempotent consumer: the offsets of the batch are committed. */
  CONSUMER_AFTER_COMMIT,

  /** Outbox relay: half of a batch's records sent, the transaction still open. */
  RELAY_MID_BATCH,
  /** Outbox relay: every record and the position sent, before the commit. */
  RELAY_BEFORE_COMMIT,
  /** Outbox relay: the Kafka transaction committed, before the relay's own bookkeeping. */
  RELAY_AFTER_COMMIT,
  /** Outbox relay: between deleting two cleanup batches. */
  RELAY_MID_CLEANUP,

  /**
   * HTTP ingest: the idempotency record and the outbox row are written, the database transaction is
   * not committed.
   */
  HTTP_BEFORE_COMMIT,
  /** HTTP ingest: the database transaction committed; the response is not yet sent. */
  HTTP_AFTER_COMMIT
}
