package dev.exactly.dedup;

import dev.exactly.Ticker;
import dev.exactly.internal.DedupKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A dedup store in this JVM's memory: for tests, and for one instance whose duplicates only come
 * from its own retries. It forgets everything when the process ends, so it does not protect against
 * redelivery after a crash or to another instance; use a JDBC or Redis store for that.
 *
 * <p>Bounded: when {@code maxEntries} live entries exist, a claim for a new key first purges
 * expired entries and then, if still full, fails with {@link DedupStoreException}. It never evicts
 * a live entry, because forgetting a done key would let its duplicate through. Thread-safe; each
 * key is decided by one atomic {@link ConcurrentHashMap#compute}.
 */
public final class InMemoryDedupStore implements DedupStore {
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicInteger size = new AtomicInteger();
  private final int maxEntries;
  private final Ticker ticker;
  private volatile boolean closed;

  private record Entry(boolean done, String token, long expiresAtMillis, StoredResult result) {
    boolean expired(long now) {
      return expiresAtMillis <= now;
    }
  }

  private InMemoryDedupStore(int maxEntries, Ticker ticker) {
    this.maxEntries = maxEntries;
    this.ticker = ticker;
  }

  /** At most {@code maxEntries} live entries, on the system's time. */
  public static InMemoryDedupStore create(int maxEntries) {
    return create(maxEntries, Ticker.system());
  }

  /**
   * At most {@code maxEntries} live entries, leases and retention on {@code ticker}'s wall-clock
   * {@link Ticker#millis()} (a test passes the testkit's {@code FakeClock}).
   */
  public static InMemoryDedupStore create(int maxEntries, Ticker ticker) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
    }
    return new InMemoryDedupStore(maxEntries, Objects.requireNonNull(ticker, "ticker"));
  }

  @Override
  public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
    requirePositive(lease, "lease");
    requireOpen();
    long now = ticker.millis();
    long expiry = now + lease.toMillis();
    String token = UUID.randomUUID().toString();
    List<String> distinct = DedupKeys.distinct(keys);
    // Checked before any key is claimed, so a full store decides nothing for the whole call.
    if (size.get() + distinct.size() > maxEntries) {
      purgeExpired();
      if (size.get() + distinct.size() > maxEntries) {
        throw new DedupStoreException(
            "in-memory dedup store is full: "
                + size.get()
                + " live entries plus "
                + distinct.size()
                + " keys would pass maxEntries "
                + maxEntries
                + "; raise maxEntries or shorten the retention");
      }
    }
    Map<String, Claim> out = new LinkedHashMap<>();
    for (String key : distinct) {
      Entry mine = new Entry(false, token, expiry, null);
      Entry now1 =
          entries.compute(
              key,
              (k, e) -> {
                if (e == null) {
                  size.incrementAndGet();
                  return mine;
                }
                return e.expired(now) ? mine : e;
              });
      out.put(key, answer(key, now1, token));
    }
    return out;
  }

  private static Claim answer(String key, Entry e, String token) {
    if (!e.done() && e.token().equals(token)) {
      return new Claim.Claimed(key, token, Instant.ofEpochMilli(e.expiresAtMillis()));
    }
    if (e.done()) {
      return new Claim.Done(key, Optional.ofNullable(e.result()));
    }
    return new Claim.InFlight(key, Instant.ofEpochMilli(e.expiresAtMillis()));
  }

  @Override
  public Set<String> complete(
      Collection<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results) {
    requirePositive(retention, "retention");
    requireOpen();
    long until = ticker.millis() + retention.toMillis();
    Set<String> lost = new HashSet<>();
    for (Claim.Claimed c : claims) {
      Entry done = new Entry(true, c.token(), until, results.get(c.key()));
      Entry after =
          entries.computeIfPresent(
              c.key(), (k, e) -> !e.done() && e.token().equals(c.token()) ? done : e);
      if (after != done) {
        lost.add(c.key());
      }
    }
    return lost;
  }

  @Override
  public Set<String> extend(Collection<Claim.Claimed> claims, Duration lease) {
    requirePositive(lease, "lease");
    requireOpen();
    long until = ticker.millis() + lease.toMillis();
    Set<String> extended = new HashSet<>();
    for (Claim.Claimed c : claims) {
      Entry renewed = new Entry(false, c.token(), until, null);
      Entry after =
          entries.computeIfPresent(
              c.key(), (k, e) -> !e.done() && e.token().equals(c.token()) ? renewed : e);
      if (after == renewed) {
        extended.add(c.key());
      }
    }
    return extended;
  }

  @Override
  public void release(Collection<Claim.Claimed> claims) {
    requireOpen();
    for (Claim.Claimed c : claims) {
      entries.computeIfPresent(
          c.key(),
          (k, e) -> {
            if (!e.done() && e.token().equals(c.token())) {
              size.decrementAndGet();
              return null;
            }
            return e;
          });
    }
  }

  @Override
  public int purgeExpired() {
    long now = ticker.millis();
    int[] purged = {0};
    entries.forEach(
        (key, seen) -> {
          if (seen.expired(now)) {
            // Re-checked inside the atomic remove: a concurrent claim may have renewed the key.
            entries.computeIfPresent(
                key,
                (k, e) -> {
                  if (e.expired(now)) {
                    size.decrementAndGet();
                    purged[0]++;
                    return null;
                  }
                  return e;
                });
          }
        });
    return purged[0];
  }

  /** Live and expired entries not yet purged. */
  public int size() {
    return size.get();
  }

  /** Answers at once while open; a closed store has lost its entries and fails. */
  @Override
  public void ping(Duration timeout) {
    requireOpen();
  }

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public void close() {
    closed = true;
    entries.clear();
    size.set(0);
  }

  private void requireOpen() {
    if (closed) {
      throw new DedupStoreException("the in-memory dedup store is closed; its entries are gone");
    }
  }

  static void requirePositive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }
}
