package dev.exactly.http;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The keys this instance is accepting right now. A duplicate of one waits here for the first to
 * finish, as it would wait for the first's row lock in the database, instead of queueing behind it
 * for a group commit. Duplicates sent to other instances still meet at the row lock.
 */
final class InFlightKeys {
  private final ConcurrentHashMap<String, CountDownLatch> keys = new ConcurrentHashMap<>();

  /** Marks {@code key} in flight; false when it already is (then call {@link #awaitDone}). */
  boolean enter(String key) {
    return keys.putIfAbsent(key, new CountDownLatch(1)) == null;
  }

  /** Ends what {@link #enter} began; wakes the duplicates waiting for it. */
  void leave(String key) {
    CountDownLatch done = keys.remove(key);
    if (done != null) {
      done.countDown();
    }
  }

  /** Waits up to {@code wait} for {@code key} to leave; true when it did (or was not in flight). */
  boolean awaitDone(String key, Duration wait) throws InterruptedException {
    CountDownLatch done = keys.get(key);
    return done == null || done.await(wait.toNanos(), TimeUnit.NANOSECONDS);
  }
}
