package dev.exactly.jdbc.outbox;

/**
 * Named places in the relay where a crash test may halt the process. The relay calls {@link
 * #reached} on its own thread; the default does nothing.
 */
@FunctionalInterface
interface CrashPoints {
  /** Half of a batch's records sent, the transaction still open. */
  String MID_BATCH = "relay.mid-batch";

  /** Every record and the position sent, before the commit. */
  String BEFORE_COMMIT = "relay.before-commit";

  /** The Kafka transaction committed, before the relay's own bookkeeping. */
  String AFTER_COMMIT = "relay.after-commit";

  /** Between deleting two cleanup batches. */
  String MID_CLEANUP = "relay.mid-cleanup";

  CrashPoints NONE = name -> {};

  void reached(String name);
}
