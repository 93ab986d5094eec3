package dev.exactly;

import java.util.EnumSet;
import java.util.Set;

/**
 * The lifecycle of every Exactly component (processor, idempotent consumer, DB sink, outbox relay).
 * The legal moves are listed here and nowhere else; a component uses the states it needs.
 *
 * <pre>
 * CREATED  -&gt; STARTING | CLOSED
 * STARTING -&gt; RUNNING | STANDBY | CLOSING | FAILED | FENCED
 * STANDBY  -&gt; RUNNING | CLOSING | FAILED            (waiting for a lock another instance holds)
 * RUNNING  -&gt; STANDBY | CLOSING | FAILED | FENCED
 * CLOSING  -&gt; CLOSED | FAILED | FENCED
 * FAILED   -&gt; CLOSING                                (close() releases what a failure left open)
 * </pre>
 *
 * {@code FENCED} and {@code CLOSED} are final; {@code FAILED} is final for the work (see the
 * component's {@code failure()}), and only {@code close()} moves on from it.
 */
public enum ComponentState {
  /** Built, not started: nothing is connected. */
  CREATED,
  /** {@code start()} was called; clients are connecting. */
  STARTING,
  /** Started, waiting to become the one instance that works (the outbox relay's lock). */
  STANDBY,
  /** Working. */
  RUNNING,
  /** {@code close()} was called; the work in flight finishes or is rolled back. */
  CLOSING,
  /** Everything released. */
  CLOSED,
  /** Stopped on an error it cannot get past; {@code failure()} says which. */
  FAILED,
  /**
   * Stopped because another instance took over its identity (its transactional id, its epoch or its
   * group generation): this one is a zombie. It must not be restarted under the same instance id
   * while the other runs.
   */
  FENCED;

  /** Whether the component has stopped working for good: closed, failed or fenced. */
  public boolean isTerminal() {
    return this == CLOSED || this == FAILED || this == FENCED;
  }

  /** Whether moving from this state to {@code next} is legal. */
  public boolean canMoveTo(ComponentState next) {
    return next().contains(next);
  }

  private Set<ComponentState> next() {
    return switch (this) {
      case CREATED -> EnumSet.of(STARTING, CLOSED);
      case STARTING -> EnumSet.of(RUNNING, STANDBY, CLOSING, FAILED, FENCED);
      case STANDBY -> EnumSet.of(RUNNING, CLOSING, FAILED);
      case RUNNING -> EnumSet.of(STANDBY, CLOSING, FAILED, FENCED);
      case CLOSING -> EnumSet.of(CLOSED, FAILED, FENCED);
      case FAILED -> EnumSet.of(CLOSING);
      case CLOSED, FENCED -> EnumSet.noneOf(ComponentState.class);
    };
  }
}
