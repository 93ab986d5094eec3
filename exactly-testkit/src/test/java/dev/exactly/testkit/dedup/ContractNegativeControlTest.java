package dev.exactly.testkit.dedup;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The contract suite must fail a store that decides by read-then-write: two callers both read
 * "absent" and both believe they claimed the key. Without this the concurrency test could be a test
 * that cannot fail.
 */
class ContractNegativeControlTest {

  /** Deliberately wrong: checks, pauses, then writes. */
  static final class ReadThenWriteStore implements DedupStore {
    private final Map<String, String> rows = new ConcurrentHashMap<>();

    @Override
    public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
      String token = UUID.randomUUID().toString();
      Map<String, Claim> out = new LinkedHashMap<>();
      for (String key : keys) {
        if (rows.get(key) == null) {
          Thread.onSpinWait();
          try {
            Thread.sleep(2);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          rows.put(key, token);
          out.put(key, new Claim.Claimed(key, token, Instant.now().plus(lease)));
        } else if (rows.get(key).equals("done")) {
          out.put(key, new Claim.Done(key, Optional.empty()));
        } else {
          out.put(key, new Claim.InFlight(key, Instant.now().plus(lease)));
        }
      }
      return out;
    }

    @Override
    public Set<String> complete(
        Collection<Claim.Claimed> claims,
        Duration retention,
        Map<String, dev.exactly.dedup.StoredResult> results) {
      claims.forEach(c -> rows.put(c.key(), "done"));
      return Set.of();
    }

    @Override
    public Set<String> extend(Collection<Claim.Claimed> claims, Duration lease) {
      Set<String> held = new java.util.HashSet<>();
      claims.forEach(c -> held.add(c.key()));
      return held;
    }

    @Override
    public void release(Collection<Claim.Claimed> claims) {
      claims.forEach(c -> rows.remove(c.key()));
    }

    @Override
    public int purgeExpired() {
      return 0;
    }

    @Override
    public String name() {
      return "read-then-write";
    }

    @Override
    public void close() {}
  }

  static final class OnBrokenStore extends DedupStoreContract {
    @Override
    protected DedupStore newStore() {
      return new ReadThenWriteStore();
    }

    @Override
    protected DedupStore unreachableStore() {
      throw new UnsupportedOperationException();
    }

    @Override
    protected void advance(Duration d) {}
  }

  @Test
  void theConcurrencyTestFailsAReadThenWriteStore() {
    OnBrokenStore suite = new OnBrokenStore();
    suite.openStore();
    try {
      assertThatThrownBy(suite::manyThreadsClaimingOneKeyGetExactlyOneClaimed)
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("CLAIMED answers");
    } finally {
      suite.closeStore();
    }
  }
}
