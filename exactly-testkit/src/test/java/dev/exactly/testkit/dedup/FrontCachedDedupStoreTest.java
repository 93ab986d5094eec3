package dev.exactly.testkit.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.FrontCachedDedupStore;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.dedup.StoredResult;
import dev.exactly.testkit.FakeClock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class FrontCachedDedupStoreTest {
  private final FakeClock clock = FakeClock.atEpochPlusOneYear();

  /** The cached store must still pass the whole contract. */
  @Nested
  class Contract extends DedupStoreContract {
    @Override
    protected DedupStore newStore() {
      return FrontCachedDedupStore.wrap(
          InMemoryDedupStore.create(10_000, clock), 1000, Duration.ofSeconds(30), clock);
    }

    @Override
    protected DedupStore unreachableStore() {
      InMemoryDedupStore closed = InMemoryDedupStore.create(10, clock);
      closed.close();
      return FrontCachedDedupStore.wrap(closed, 10, Duration.ofSeconds(30), clock);
    }

    @Override
    protected void advance(Duration d) {
      clock.advance(d);
    }
  }

  /** Counts the keys that reach the store behind the cache. */
  static final class Counting implements DedupStore {
    final DedupStore delegate;
    final AtomicInteger keysClaimed = new AtomicInteger();

    Counting(DedupStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
      keysClaimed.addAndGet(keys.size());
      return delegate.claim(keys, lease);
    }

    @Override
    public Set<String> complete(
        Collection<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results) {
      return delegate.complete(claims, retention, results);
    }

    @Override
    public Set<String> extend(Collection<Claim.Claimed> claims, Duration lease) {
      return delegate.extend(claims, lease);
    }

    @Override
    public void release(Collection<Claim.Claimed> claims) {
      delegate.release(claims);
    }

    @Override
    public int purgeExpired() {
      return delegate.purgeExpired();
    }

    @Override
    public String name() {
      return "counting";
    }

    @Override
    public void close() {}
  }

  @Test
  void doneKeysAreAnsweredLocallyAndNewKeysAlwaysReachTheStore() {
    Counting behind = new Counting(InMemoryDedupStore.create(100, clock));
    FrontCachedDedupStore cache =
        FrontCachedDedupStore.wrap(behind, 100, Duration.ofSeconds(30), clock);
    Map<String, Claim> first = cache.claim(List.of("a", "b"), Duration.ofSeconds(10));
    cache.complete(
        DedupStoreContract.claimed(first),
        Duration.ofHours(1),
        Map.of("a", StoredResult.ofUtf8("ra")));
    behind.keysClaimed.set(0);
    Map<String, Claim> again = cache.claim(List.of("a", "b", "new"), Duration.ofSeconds(10));
    assertThat(behind.keysClaimed.get()).as("only the new key goes to the store").isEqualTo(1);
    assertThat(again.get("a"))
        .isEqualTo(new Claim.Done("a", java.util.Optional.of(StoredResult.ofUtf8("ra"))));
    assertThat(again.get("new")).isInstanceOf(Claim.Claimed.class);
  }

  @Test
  void anEntryIsNotTrustedBeyondItsTtlOrTheRetention() {
    Counting behind = new Counting(InMemoryDedupStore.create(100, clock));
    FrontCachedDedupStore cache =
        FrontCachedDedupStore.wrap(behind, 100, Duration.ofSeconds(30), clock);
    cache.complete(
        DedupStoreContract.claimed(cache.claim(List.of("short"), Duration.ofSeconds(10))),
        Duration.ofSeconds(5),
        Map.of());
    clock.advance(Duration.ofSeconds(6));
    // retention passed: the store has forgotten the key, and so has the cache
    assertThat(cache.claim(List.of("short"), Duration.ofSeconds(10)).get("short"))
        .isInstanceOf(Claim.Claimed.class);
  }

  @Test
  void inFlightAndLostClaimsAreNeverCached() {
    InMemoryDedupStore behind = InMemoryDedupStore.create(100, clock);
    FrontCachedDedupStore cache =
        FrontCachedDedupStore.wrap(behind, 100, Duration.ofSeconds(30), clock);
    Map<String, Claim> mine = cache.claim(List.of("k"), Duration.ofSeconds(5));
    clock.advance(Duration.ofSeconds(6));
    behind.claim(List.of("k"), Duration.ofMinutes(5)); // another instance took the key over
    assertThat(cache.complete(DedupStoreContract.claimed(mine), Duration.ofHours(1), Map.of()))
        .containsExactly("k");
    assertThat(cache.claim(List.of("k"), Duration.ofSeconds(5)).get("k"))
        .isInstanceOf(Claim.InFlight.class);
  }
}
