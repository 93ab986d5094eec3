package dev.exactly;

/**
 * Fault injection for tests, the same for every component: the engine calls {@link #reached} at
 * each {@link FaultPoint} it passes. A crash test's implementation halts the JVM there (as a
 * SIGKILL would) or pauses it; production code leaves the default, {@link #NONE}.
 *
 * <p>Called on the engine's own thread (the processor's {@link FaultPoint#PROCESSOR_DURING_COMMIT}
 * on its committer thread). An {@link Error} thrown here propagates; a runtime exception is treated
 * like a failure of the code at that point.
 */
@FunctionalInterface
public interface FaultInjection {
  /** Does nothing. */
  FaultInjection NONE = point -> {};

  /** Called when the engine reaches {@code point}. */
  void reached(FaultPoint point);
}
