package dev.exactly.redis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.dedup.DedupStoreContract;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dedup-store contract on a real Redis. Redis owns time (PX), so expiry tests use short real
 * leases and really wait; see {@link #shortTime()}.
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
  void anUnreachableRedisFailsAtBuildNamingTheAddress() {
    assertThatThrownBy(() -> RedisDedupStore.builder("redis://127.0.0.1:1").build())
        .isInstanceOf(DedupStoreException.class)
        .hasMessageContaining("127.0.0.1:1");
  }
}
