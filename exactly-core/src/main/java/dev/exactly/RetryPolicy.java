package dev.exactly;

import java.time.Duration;
import java.util.Objects;

/**
 * How often, and how far apart, a transient failure is retried before the record is given up to the
 * dead-letter topic. Immutable; exponential backoff capped at {@code maxBackoff}.
 *
 * @param maxAttempts attempts in all, the first included; 1 means no retry
 * @param initialBackoff the wait before the second attempt
 * @param maxBackoff the longest wait between two attempts
 * @param multiplier how much each wait grows, at least 1
 */
public record RetryPolicy(
    int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier) {

  /** Three attempts, 100 ms then 200 ms apart. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(5), 2.0);

  /** One attempt: a failure goes straight to the dead-letter topic. */
  public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 1.0);

  public RetryPolicy {
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (maxAttempts < 1) {
      throw new ConfigurationException(
          "retry.maxAttempts", maxAttempts, "must be at least 1 (1 means no retry)");
    }
    if (initialBackoff.isNegative()) {
      throw new ConfigurationException(
          "retry.initialBackoff", initialBackoff, "must not be negative");
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new ConfigurationException(
          "retry.maxBackoff",
          maxBackoff,
          "is shorter than retry.initialBackoff " + initialBackoff + "; raise it");
    }
    if (!(multiplier >= 1.0)) {
      throw new ConfigurationException("retry.multiplier", multiplier, "must be at least 1.0");
    }
  }

  /** {@code maxAttempts} attempts with a fixed wait between them. */
  public static RetryPolicy fixed(int maxAttempts, Duration backoff) {
    return new RetryPolicy(maxAttempts, backoff, backoff, 1.0);
  }

  /** {@code maxAttempts} attempts, waits doubling from {@code initialBackoff} up to 30 s. */
  public static RetryPolicy exponential(int maxAttempts, Duration initialBackoff) {
    return new RetryPolicy(
        maxAttempts,
        initialBackoff,
        initialBackoff.compareTo(Duration.ofSeconds(30)) > 0
            ? initialBackoff
            : Duration.ofSeconds(30),
        2.0);
  }

  /** Whether another attempt follows attempt number {@code attempt} (1-based) after a failure. */
  public boolean canRetryAfter(int attempt) {
    return attempt < maxAttempts;
  }

  /** Every wait between the first attempt and the last, added up: the most one record may wait. */
  public Duration totalBackoff() {
    Duration total = Duration.ZERO;
    for (int attempt = 1; canRetryAfter(attempt); attempt++) {
      total = total.plus(backoffAfter(attempt));
    }
    return total;
  }

  /** The wait after failed attempt number {@code attempt} (1-based). */
  public Duration backoffAfter(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempts count from 1, got " + attempt);
    }
    double millis = initialBackoff.toMillis() * Math.pow(multiplier, attempt - 1.0);
    return millis >= maxBackoff.toMillis() ? maxBackoff : Duration.ofMillis((long) millis);
  }
}
