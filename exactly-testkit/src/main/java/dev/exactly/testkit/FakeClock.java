package dev.exactly.testkit;

import dev.exactly.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that stands still until a test moves it, for leases, TTLs, commit intervals, backoff and
 * retention without sleeping. Pass it wherever a builder takes a {@link Ticker}; it is also a
 * {@link Clock}. Thread-safe; millisecond resolution for {@link #millis()}, nanoseconds for {@link
 * #nanoTime()}.
 *
 * <p>{@link #sleep} returns when the test has moved the clock past the sleeper's end, or after at
 * most 10 ms of real time (a {@link Ticker} may return early): an engine waiting on this clock
 * therefore still sees its own state change (a close) promptly, and never outwaits the test.
 */
public final class FakeClock extends Clock implements Ticker {
  private final Object lock = new Object();
  private long nanos;
  private int sleepers;
  private long advances;
  private long lastWaitAfterAdvance = -1;

  public FakeClock(Instant start) {
    this.nanos = Math.multiplyExact(start.toEpochMilli(), 1_000_000L);
  }

  /** A clock at a fixed, recognisable instant. */
  public static FakeClock atEpochPlusOneYear() {
    return new FakeClock(Instant.parse("1971-01-01T00:00:00Z"));
  }

  /** Moves time on by {@code d} and wakes every sleeper. */
  public void advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("time does not go back: " + d);
    }
    synchronized (lock) {
      nanos += d.toNanos();
      advances++;
      lock.notifyAll();
    }
  }

  /**
   * Waits, in real time, until a thread waits on this clock again since the last {@link #advance}:
   * whatever that advance made due has run and its engine is idle once more. A test can then assert
   * that something did not happen without sleeping "long enough". Meant for an engine that waits on
   * one thread; with several, any one of them going back to its wait ends this one.
   *
   * @throws AssertionError if no thread waits within {@code timeout}
   */
  public void awaitIdle(Duration timeout) throws InterruptedException {
    long realEnd = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      long target = advances;
      while (lastWaitAfterAdvance < target) {
        long left = realEnd - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "no thread waited on the clock within " + timeout + " after it was moved on");
        }
        lock.wait(Math.max(1, left / 1_000_000L));
      }
    }
  }

  /** How many threads are in {@link #sleep} now: lets a test wait until an engine waits. */
  public int sleepers() {
    synchronized (lock) {
      return sleepers;
    }
  }

  @Override
  public long nanoTime() {
    synchronized (lock) {
      return nanos;
    }
  }

  @Override
  public long millis() {
    synchronized (lock) {
      return nanos / 1_000_000L;
    }
  }

  @Override
  public void sleep(Duration duration) throws InterruptedException {
    synchronized (lock) {
      long end = nanos + duration.toNanos();
      sleepers++;
      if (end > nanos && lastWaitAfterAdvance != advances) {
        lastWaitAfterAdvance = advances; // once an advance, so sleepers do not wake each other
        lock.notifyAll();
      }
      try {
        if (nanos < end) {
          lock.wait(10);
        }
      } finally {
        sleepers--;
      }
    }
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a FakeClock is always UTC");
  }
}
