package dev.exactly.jdbc.sink;

import java.util.Set;

/**
 * The life of a {@link DbSink}; the legal moves are listed here and nowhere else.
 *
 * <pre>
 * CREATED -> RUNNING -> CLOSING -> CLOSED
 *               |          ^
 *               v          |
 *             FAILED ------+
 * </pre>
 */
public enum SinkState {
  /** Built, not started: nothing is connected. */
  CREATED,
  /** The engine thread polls, writes and commits. */
  RUNNING,
  /**
   * The engine thread stopped on an error it cannot get past (see {@link DbSink#failure()}); no
   * batch is in flight. Close the sink and start a new one.
   */
  FAILED,
  /** {@link DbSink#close} was called; the in-flight batch finishes or rolls back. */
  CLOSING,
  /** Everything released; terminal. */
  CLOSED;

  /** Whether moving from this state to {@code next} is legal. */
  public boolean canMoveTo(SinkState next) {
    return switch (this) {
      case CREATED -> Set.of(RUNNING, CLOSING).contains(next);
      case RUNNING -> Set.of(FAILED, CLOSING).contains(next);
      case FAILED -> next == CLOSING;
      case CLOSING -> next == CLOSED;
      case CLOSED -> false;
    };
  }
}
