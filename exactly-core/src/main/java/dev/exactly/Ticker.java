package dev.exactly;

import java.time.Duration;

/**
 * The time an engine reads and waits on: commit intervals, lease ends, backoff, cleanup cadence.
 * Production code uses {@link #system()}; a test passes a fake (the testkit's {@code FakeClock})
 * and moves time on instead of sleeping.
 *
 * <p>Implementations are thread-safe. {@link #sleep} may return early; callers that must wait the
 * whole time loop on {@link #nanoTime()}.
 */
public interface Ticker {
  /** A monotonic reading in nanoseconds, for elapsed time only (as {@link System#nanoTime()}). */
  long nanoTime();

  /** Wall-clock time in epoch milliseconds, for timestamps stored or compared across processes. */
  long millis();

  /**
   * Waits about {@code duration}, or less.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void sleep(Duration duration) throws InterruptedException;

  /** The system's clocks and {@link Thread#sleep}. */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }
}

/** The one real ticker. */
enum SystemTicker implements Ticker {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public long millis() {
    return System.currentTimeMillis();
  }

  @Override
  public void sleep(Duration duration) throws InterruptedException {
    long nanos = duration.toNanos();
    if (nanos > 0) {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    }
  }
}
