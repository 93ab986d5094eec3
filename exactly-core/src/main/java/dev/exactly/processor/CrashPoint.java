package dev.exactly.processor;

/** Places in the commit cycle where a crash test can halt a processor. */
public enum CrashPoint {
  /** Every output of the batch is sent; the offsets are not yet in the transaction. */
  AFTER_SENDS_BEFORE_COMMIT,
  /**
   * The offsets are in the transaction (exactly-once) or the sends are flushed (at-least-once); the
   * commit is about to start. A crash test that halts a moment later hits the commit in flight.
   */
  DURING_COMMIT,
  /** The batch has committed; the next poll has not started. */
  AFTER_COMMIT_BEFORE_POLL
}
