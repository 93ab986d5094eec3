package dev.exactly.processor;

/**
 * Fault injection for crash tests: the engine calls {@link #reached} on its own thread at each
 * {@link CrashPoint}. A test implementation halts the JVM there (as a SIGKILL would); production
 * code uses {@link #NONE}.
 */
@FunctionalInterface
public interface CrashPoints {
  /** Does nothing. */
  CrashPoints NONE = point -> {};

  /**
   * Called on the engine thread, except {@link CrashPoint#DURING_COMMIT}, which exactly-once
   * reaches on the committer thread; may halt the JVM, must not throw.
   */
  void reached(CrashPoint point);
}
