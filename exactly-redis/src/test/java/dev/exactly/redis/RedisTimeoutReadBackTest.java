package dev.exactly.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.testkit.ExternalService;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A claim or complete whose command times out on the client but runs on the server: the server is
 * paused ({@code CLIENT PAUSE}, from a second connection) for longer than the store's timeout and
 * less than twice it, so the script runs after the client gave up, and the store's read-back,
 * queued behind it on the same connection, still answers in time. The store must report what Redis
 * holds.
 */
class RedisTimeoutReadBackTest {
  private static final Duration TIMEOUT = Duration.ofMillis(700);
  private static final long PAUSE_MS = 1000;
  private static final Duration LEASE = Duration.ofMinutes(1);

  private String prefix;
  private RedisClient client;
  private StatefulRedisConnection<String, String> admin;
  private RedisDedupStore store;
  private RedisDedupStore other;

  @BeforeAll
  static void server() {
    ExternalService.REDIS.assumeAvailable();
  }

  @BeforeEach
  void setUp() {
    prefix = "exactly:test:timeout:" + UUID.randomUUID() + ":";
    client = RedisClient.create(ExternalService.REDIS.url());
    admin = client.connect();
    store =
        RedisDedupStore.builder(ExternalService.REDIS.url())
            .keyPrefix(prefix)
            .timeout(TIMEOUT)
            .build();
    other = RedisDedupStore.builder(ExternalService.REDIS.url()).keyPrefix(prefix).build();
  }

  @AfterEach
  void tearDown() {
    store.close();
    other.close();
    RedisCommands<String, String> r = admin.sync();
    List<String> keys = r.keys(prefix + "*");
    if (!keys.isEmpty()) {
      r.del(keys.toArray(String[]::new));
    }
    admin.close();
    client.shutdown();
  }

  private String held(String key) {
    return admin.sync().get(prefix + key);
  }

  @Test
  void aClaimThatTimedOutButRanReportsTheClaimRedisHolds() {
    Claim.Claimed theirs = (Claim.Claimed) other.claim(List.of("taken"), LEASE).get("taken");

    admin.sync().clientPause(PAUSE_MS);
    long started = System.nanoTime();
    Map<String, Claim> answer = store.claim(List.of("a", "b", "taken"), LEASE);
    long tookMs = (System.nanoTime() - started) / 1_000_000;

    assertThat(tookMs)
        .as("the call outlasted the %s timeout", TIMEOUT)
        .isGreaterThan(TIMEOUT.toMillis());
    for (String key : List.of("a", "b")) {
      assertThat(answer.get(key)).as(key).isInstanceOf(Claim.Claimed.class);
      assertThat(held(key)).as(key).isEqualTo("C" + ((Claim.Claimed) answer.get(key)).token());
    }
    assertThat(answer.get("taken")).isInstanceOf(Claim.InFlight.class);
    assertThat(held("taken")).isEqualTo("C" + theirs.token());
  }

  @Test
  void aCompleteThatTimedOutButRanReportsTheKeysCompleted() {
    Map<String, Claim> claims = store.claim(List.of("a", "b"), LEASE);
    List<Claim.Claimed> mine = claims.values().stream().map(c -> (Claim.Claimed) c).toList();

    admin.sync().clientPause(PAUSE_MS);
    Set<String> lost = store.complete(mine, Duration.ofHours(1), Map.of());

    assertThat(lost).isEmpty();
    for (Claim.Claimed c : mine) {
      assertThat(held(c.key())).as(c.key()).isEqualTo("D" + c.token() + "-");
    }
    assertThat(other.claim(List.of("a", "b"), LEASE).values())
        .allMatch(c -> c instanceof Claim.Done);
  }

  @Test
  void whenTheReadBackTimesOutTooTheStoreSaysTheCallMayHaveTakenEffect() {
    admin.sync().clientPause(3 * TIMEOUT.toMillis());
    assertThatThrownBy(() -> store.claim(List.of("a"), LEASE))
        .isInstanceOf(DedupStoreException.class)
        .hasMessageContaining("may have taken effect");
  }
}
