package dev.exactly.testkit.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.testkit.FakeClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryDedupStoreContractTest extends DedupStoreContract {
  private final FakeClock clock = FakeClock.atEpochPlusOneYear();

  @Override
  protected DedupStore newStore() {
    return InMemoryDedupStore.create(10_000, clock);
  }

  /** A memory store is never unreachable; the nearest thing is a closed one. */
  @Override
  protected DedupStore unreachableStore() {
    InMemoryDedupStore closed = InMemoryDedupStore.create(10, clock);
    closed.close();
    return closed;
  }

  @Override
  protected void advance(Duration d) {
    clock.advance(d);
  }

  @Test
  void aFullStoreRefusesTheWholeBatchAndKeepsLiveEntries() {
    InMemoryDedupStore small = InMemoryDedupStore.create(3, clock);
    small.claim(List.of("a", "b"), LONG);
    assertThatThrownBy(() -> small.claim(List.of("c", "d"), LONG))
        .isInstanceOf(DedupStoreException.class)
        .hasMessageContaining("maxEntries 3");
    assertThat(small.size()).isEqualTo(2);
    clock.advance(LONG.plusSeconds(1));
    assertThat(small.claim(List.of("c", "d"), LONG)).hasSize(2);
  }
}
