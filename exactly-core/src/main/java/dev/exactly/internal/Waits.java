package dev.exactly.internal;

import dev.exactly.Ticker;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits that end early when their engine stops, on an injected {@link Ticker}. */
public final class Waits {
  // Long enough to cost nothing, short enough that close() is not kept waiting.
  private static final long SLICE_NANOS = Duration.ofMillis(50).toNanos();

  private Waits() {}

  /**
   * Waits {@code duration} on {@code ticker} while {@code keepWaiting} holds, checking it at least
   * every 50 ms.
   *
   * @return true if the whole duration passed; false if {@code keepWaiting} turned false first
   * @throws InterruptedException if the thread is interrupted
   */
  public static boolean sleepWhile(Ticker ticker, Duration duration, BooleanSupplier keepWaiting)
      throws InterruptedException {
    long end = ticker.nanoTime() + duration.toNanos();
    while (keepWaiting.getAsBoolean()) {
      long left = end - ticker.nanoTime();
      if (left <= 0) {
        return true;
      }
      ticker.sleep(Duration.ofNanos(Math.min(left, SLICE_NANOS)));
    }
    return false;
  }

  /**
   * As {@link #sleepWhile}, but an interrupt ends the wait and is kept on the thread for the
   * caller's loop to see, for engine loops that stop on their state rather than on interrupts.
   *
   * @return true if the whole duration passed
   */
  public static boolean sleepWhileQuietly(
      Ticker ticker, Duration duration, BooleanSupplier keepWaiting) {
    try {
      return sleepWhile(ticker, duration, keepWaiting);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
