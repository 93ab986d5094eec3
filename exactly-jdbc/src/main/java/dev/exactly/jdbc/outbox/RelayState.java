package dev.exactly.jdbc.outbox;

import java.util.EnumSet;
import java.util.Set;

/**
 * The lifecycle of an {@link OutboxRelay}, with its legal transitions in one place:
 *
 * <pre>
 * CREATED -> STANDBY | CLOSING
 * STANDBY -> RUNNING | CLOSING      (waiting for the relay's lock; another instance holds it)
 * RUNNING -> STANDBY | CLOSING      (lost the lock, was fenced, or a fault: back to waiting)
 * CLOSING -> CLOSED
 * </pre>
 */
public enum RelayState {
  /** Built, not started. */
  CREATED,
  /** Started, waiting to become the one instance that publishes for this relay name. */
  STANDBY,
  /** Holding the relay's lock and publishing. */
  RUNNING,
  /** {@code close} was called; finishing or abandoning the current batch. */
  CLOSING,
  /** Stopped; the producer and connections are released. */
  CLOSED;

  private Set<RelayState> next() {
    return switch (this) {
      case CREATED -> EnumSet.of(STANDBY, CLOSING);
      case STANDBY -> EnumSet.of(RUNNING, CLOSING);
      case RUNNING -> EnumSet.of(STANDBY, CLOSING);
      case CLOSING -> EnumSet.of(CLOSED);
      case CLOSED -> EnumSet.noneOf(RelayState.class);
    };
  }

  /** Whether the relay may move from this state to {@code target}. */
  public boolean canMoveTo(RelayState target) {
    return next().contains(target);
  }
}
