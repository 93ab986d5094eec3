package dev.exactly.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.dedup.DedupStoreContract;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dedup-store contract on a real Redis. Redis owns time (PX), on the server: no ticker can move
 * it, so expiry tests use short real leases and really wait; see {@link #shortTime()}. Only the
 * lease ends the store reports are read on its ticker.
 */
class RedisDedupStoreContractTest extends DedupStoreContract {

  @BeforeAll
  static void server() {
    ExternalService.REDIS.assumeAvailable();
  }

  @Override
  protected DedupStore newStore() {
    return RedisDedupStore.builder(ExternalService.REDIS.url()).build();
  }

  /** Port 1 on loopback: nothing listens, the connection is refused at once. */
  @Override
  protected DedupStore unreachableStore() {
    return RedisDedupStore.builder("redis://127.0.0.1:1").timeout(Duration.ofSeconds(2)).build();
  }

  @Override
  protected Duration shortTime() {
    return Duration.ofMillis(400);
  }

  @Override
  protected void advance(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected boolean purgeCounts() {
    return false;
  }

  @Test
  void theLeaseEndItReportsIsReadOnItsTicker() {
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    try (DedupStore onFakeTime =
        RedisDedupStore.builder(ExternalService.REDIS.url()).ticker(clock).build()) {
      String k = key("ticker");

      Claim mine = onFakeTime.claim(List.of(k), Duration.ofMinutes(1)).get(k);
      Claim theirs = onFakeTime.claim(List.of(k), Duration.ofMinutes(1)).get(k);

      Instant end = clock.instant().plus(Duration.ofMinutes(1));
      assertThat(((Claim.Claimed) mine).leaseExpiry()).isEqualTo(end);
      // Redis's remaining time, counted from the ticker's now: at most the whole lease.
      assertThat(((Claim.InFlight) theirs).leaseExpiry())
          .isAfter(end.minusSeconds(10))
          .isBeforeOrEqualTo(end);
    }
  }

  @Test
  void anUnreachableRedisFailsAtBuildNamingTheAddress() {
    assertThatThrownBy(() -> RedisDedupStore.builder("redis://127.0.0.1:1").build())
        .isInstanceOf(DedupStoreException.class)
        .hasMessageContaining("127.0.0.1:1");
  }
}
