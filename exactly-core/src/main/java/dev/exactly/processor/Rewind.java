package dev.exactly.processor;

import java.time.Duration;

/** A transient failure of the user's function: abort, rewind, wait, retry. */
final class Rewind extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final int attempt;
  final transient Duration backoff;

  Rewind(Exception cause, int attempt, Duration backoff) {
    super(cause);
    this.attempt = attempt;
    this.backoff = backoff;
  }
}
