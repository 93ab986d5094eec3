package dev.exactly.dedup;

import dev.exactly.Ticker;
import dev.exactly.internal.DedupKeys;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A local cache of recently done keys in front of another {@link DedupStore}: a key this instance
 * completed, or that the store answered {@link Claim.Done}, is answered done locally for a short
 * time without a round trip (hot keys, replays after a rebalance).
 *
 * <p><b>Why it cannot turn a new record into a duplicate.</b> It only ever answers DONE, and only
 * for a key the store itself confirmed done or that this instance completed successfully; every
 * other key goes to the store. An entry lives at most {@code ttl} and never beyond the retention
 * its completion was given, so it cannot outlive the store's memory of the key by more than the
 * clock difference. A claim answered CLAIMED or IN_FLIGHT is never cached. (A Bloom filter could
 * only say "definitely not seen", which still needs the store's atomic claim, so it saves nothing
 * here and is left out.)
 *
 * <p>Bounded (least recently used first out) and thread-safe; the wrapped store is closed with it.
 */
public final class FrontCachedDedupStore implements DedupStore {
  private final DedupStore store;
  private final Ticker ticker;
  private final long ttlMillis;
  private final LinkedHashMap<String, Entry> done;

  private record Entry(long expiresAtMillis, StoredResult result) {}

  private FrontCachedDedupStore(DedupStore store, int maxKeys, Duration ttl, Ticker ticker) {
    this.store = store;
    this.ticker = ticker;
    this.ttlMillis = ttl.toMillis();
    this.done =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > maxKeys;
          }
        };
  }

  /**
   * @param maxKeys how many done keys to keep locally
   * @param ttl how long one is trusted locally; short (seconds to minutes)
   */
  public static FrontCachedDedupStore wrap(DedupStore store, int maxKeys, Duration ttl) {
    return wrap(store, maxKeys, ttl, Ticker.system());
  }

  /** As {@link #wrap(DedupStore, int, Duration)}, with TTLs on {@code ticker}'s wall clock. */
  public static FrontCachedDedupStore wrap(
      DedupStore store, int maxKeys, Duration ttl, Ticker ticker) {
    Objects.requireNonNull(store, "store");
    if (maxKeys < 1) {
      throw new IllegalArgumentException("maxKeys must be at least 1, got " + maxKeys);
    }
    InMemoryDedupStore.requirePositive(ttl, "ttl");
    return new FrontCachedDedupStore(store, maxKeys, ttl, Objects.requireNonNull(ticker, "ticker"));
  }

  @Override
  public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
    List<String> distinct = DedupKeys.distinct(keys);
    long now = ticker.millis();
    Map<String, Claim> local = new LinkedHashMap<>();
    List<String> remote = new ArrayList<>();
    synchronized (done) {
      for (String key : distinct) {
        Entry e = done.get(key);
        if (e != null && e.expiresAtMillis() > now) {
          local.put(key, new Claim.Done(key, Optional.ofNullable(e.result())));
        } else {
          if (e != null) {
            done.remove(key);
          }
          remote.add(key);
        }
      }
    }
    Map<String, Claim> fromStore = remote.isEmpty() ? Map.of() : store.claim(remote, lease);
    synchronized (done) {
      fromStore.forEach(
          (key, claim) -> {
            if (claim instanceof Claim.Done d) {
              done.put(key, new Entry(now + ttlMillis, d.result().orElse(null)));
            }
          });
    }
    Map<String, Claim> out = new LinkedHashMap<>();
    for (String key : distinct) {
      out.put(key, local.containsKey(key) ? local.get(key) : fromStore.get(key));
    }
    return out;
  }

  @Override
  public Set<String> complete(
      Collection<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results) {
    Set<String> lost = store.complete(claims, retention, results);
    long now = ticker.millis();
    long until = now + Math.min(ttlMillis, retention.toMillis());
    synchronized (done) {
      for (Claim.Claimed c : claims) {
        if (!lost.contains(c.key())) {
          done.put(c.key(), new Entry(until, results.get(c.key())));
        }
      }
    }
    return lost;
  }

  /** Claims are never cached, so the wrapped store decides. */
  @Override
  public Set<String> extend(Collection<Claim.Claimed> claims, Duration lease) {
    return store.extend(claims, lease);
  }

  @Override
  public void release(Collection<Claim.Claimed> claims) {
    store.release(claims);
  }

  @Override
  public int purgeExpired() {
    long now = ticker.millis();
    synchronized (done) {
      done.values().removeIf(e -> e.expiresAtMillis() <= now);
    }
    return store.purgeExpired();
  }

  /** Pings the wrapped store: the cache answers only for done keys, never for reachability. */
  @Override
  public void ping(Duration timeout) {
    store.ping(timeout);
  }

  @Override
  public String name() {
    return store.name() + "+front-cache";
  }

  @Override
  public void close() {
    store.close();
  }
}
