package dev.exactly.testkit.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.dedup.StoredResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link DedupStore} contract as tests: extend it once per backend, on the real server, and
 * every store is held to the same behaviour. Public so that users can prove their own stores.
 *
 * <p>Keys carry a random prefix per test, so runs can share a database or a Redis server.
 */
public abstract class DedupStoreContract {
  /** Long enough never to expire during a test. */
  protected static final Duration LONG = Duration.ofMinutes(10);

  protected DedupStore store;
  private String prefix;

  /** A store on the backend under test; leases and retention on {@link #advance}'s time. */
  protected abstract DedupStore newStore();

  /**
   * A store of the same kind whose server cannot be reached (a closed port, a stopped server); its
   * calls must fail within seconds.
   */
  protected abstract DedupStore unreachableStore();

  /** Moves the store's time forward: a fake clock for most stores, a real wait for Redis. */
  protected abstract void advance(Duration d);

  /** A lease or retention the expiry tests can outlast by calling {@link #advance}. */
  protected Duration shortTime() {
    return Duration.ofSeconds(10);
  }

  /**
   * Whether {@link DedupStore#purgeExpired} counts what it deletes (stores that expire by
   * themselves return 0).
   */
  protected boolean purgeCounts() {
    return true;
  }

  /**
   * Whether the store implements {@link DedupStore#ping}; a store that keeps the default (health
   * checks then report it as unknown) overrides this to false, and the ping tests are skipped.
   */
  protected boolean pings() {
    return true;
  }

  @BeforeEach
  void openStore() {
    store = newStore();
    prefix = getClass().getSimpleName() + "-" + UUID.randomUUID() + "-";
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  protected String key(String name) {
    return prefix + name;
  }

  @Test
  public void newKeysAreClaimedAndThenInFlightForOthers() {
    Map<String, Claim> first = store.claim(List.of(key("a"), key("b")), LONG);
    assertEquals(List.of(key("a"), key("b")), new ArrayList<>(first.keySet()));
    first.values().forEach(c -> assertInstanceOf(Claim.Claimed.class, c, c.toString()));
    Map<String, Claim> second = store.claim(List.of(key("a"), key("b")), LONG);
    second.values().forEach(c -> assertInstanceOf(Claim.InFlight.class, c, c.toString()));
  }

  @Test
  public void manyThreadsClaimingOneKeyGetExactlyOneClaimed() throws Exception {
    int threads = 8;
    int rounds = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < rounds; round++) {
        String k = key("contended-" + round);
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<Claim>> answers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          answers.add(
              pool.submit(
                  () -> {
                    start.await(30, TimeUnit.SECONDS);
                    return store.claim(List.of(k), LONG).get(k);
                  }));
        }
        int claimed = 0;
        for (Future<Claim> f : answers) {
          Claim c = f.get(60, TimeUnit.SECONDS);
          if (c instanceof Claim.Claimed) {
            claimed++;
          } else {
            assertInstanceOf(Claim.InFlight.class, c, c.toString());
          }
        }
        assertEquals(1, claimed, "CLAIMED answers for " + k);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void overlappingBatchesFromManyThreadsClaimEachKeyOnce() throws Exception {
    int threads = 6;
    List<String> keys = IntStream.range(0, 200).mapToObj(i -> key("o" + i)).toList();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<Map<String, Claim>>> answers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        // each thread claims the keys in a different order
        List<String> mine = new ArrayList<>(keys);
        java.util.Collections.rotate(mine, t * 37);
        answers.add(
            pool.submit(
                () -> {
                  start.await(30, TimeUnit.SECONDS);
                  return store.claim(mine, LONG);
                }));
      }
      Map<String, Integer> claimed = new java.util.HashMap<>();
      for (Future<Map<String, Claim>> f : answers) {
        f.get(120, TimeUnit.SECONDS)
            .forEach(
                (k, c) -> {
                  if (c instanceof Claim.Claimed) {
                    claimed.merge(k, 1, Integer::sum);
                  }
                });
      }
      assertEquals(Set.copyOf(keys), claimed.keySet(), "every key claimed by someone");
      claimed.forEach((k, n) -> assertEquals(1, n, "CLAIMED answers for " + k));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void aCompletedKeyIsDoneWithItsResult() {
    Map<String, Claim> claims = store.claim(List.of(key("r"), key("n")), LONG);
    Set<String> lost =
        store.complete(claimed(claims), LONG, Map.of(key("r"), StoredResult.ofUtf8("payment-42")));
    assertTrue(lost.isEmpty(), "lost " + lost);
    Map<String, Claim> again = store.claim(List.of(key("r"), key("n")), LONG);
    assertEquals(
        new Claim.Done(key("r"), Optional.of(StoredResult.ofUtf8("payment-42"))),
        again.get(key("r")));
    assertEquals(new Claim.Done(key("n"), Optional.empty()), again.get(key("n")));
  }

  @Test
  public void anExpiredLeaseIsTakenOverAndTheOldOwnerCannotComplete() {
    Map<String, Claim> first = store.claim(List.of(key("l")), shortTime());
    assertInstanceOf(Claim.Claimed.class, first.get(key("l")));
    advance(shortTime().plusMillis(shortTime().toMillis() / 2));
    Map<String, Claim> second = store.claim(List.of(key("l")), LONG);
    assertInstanceOf(Claim.Claimed.class, second.get(key("l")), "expired lease taken over");
    assertEquals(
        Set.of(key("l")),
        store.complete(claimed(first), LONG, Map.of()),
        "the old owner's completion is refused");
    assertEquals(Set.of(), store.complete(claimed(second), LONG, Map.of()));
    assertInstanceOf(Claim.Done.class, store.claim(List.of(key("l")), LONG).get(key("l")));
  }

  @Test
  public void aLiveLeaseIsNotTakenOver() {
    store.claim(List.of(key("live")), LONG);
    advance(shortTime());
    assertInstanceOf(
        Claim.InFlight.class, store.claim(List.of(key("live")), LONG).get(key("live")));
  }

  @Test
  public void aDoneKeyIsForgottenAfterItsRetention() {
    Map<String, Claim> claims = store.claim(List.of(key("ret")), LONG);
    store.complete(claimed(claims), shortTime(), Map.of());
    assertInstanceOf(Claim.Done.class, store.claim(List.of(key("ret")), LONG).get(key("ret")));
    advance(shortTime().plusMillis(shortTime().toMillis() / 2));
    assertInstanceOf(Claim.Claimed.class, store.claim(List.of(key("ret")), LONG).get(key("ret")));
  }

  @Test
  public void releaseFreesTheClaimForAnImmediateRetry() {
    Map<String, Claim> claims = store.claim(List.of(key("x")), LONG);
    store.release(claimed(claims));
    assertInstanceOf(Claim.Claimed.class, store.claim(List.of(key("x")), LONG).get(key("x")));
  }

  @Test
  public void releaseByAFormerOwnerLeavesTheNewOwnersClaimAlone() {
    Map<String, Claim> first = store.claim(List.of(key("y")), shortTime());
    advance(shortTime().plusMillis(shortTime().toMillis() / 2));
    store.claim(List.of(key("y")), LONG);
    store.release(claimed(first));
    assertInstanceOf(Claim.InFlight.class, store.claim(List.of(key("y")), LONG).get(key("y")));
  }

  @Test
  public void releaseDoesNotUndoACompletion() {
    Map<String, Claim> claims = store.claim(List.of(key("z")), LONG);
    store.complete(claimed(claims), LONG, Map.of());
    store.release(claimed(claims));
    assertInstanceOf(Claim.Done.class, store.claim(List.of(key("z")), LONG).get(key("z")));
  }

  @Test
  public void anExtendedLeaseOutlivesItsFirstExpiry() {
    Map<String, Claim> mine = store.claim(List.of(key("e1"), key("e2")), shortTime());
    Duration twoThirds = shortTime().multipliedBy(2).dividedBy(3);
    advance(twoThirds);
    assertEquals(Set.of(key("e1"), key("e2")), store.extend(claimed(mine), shortTime()));
    advance(twoThirds);
    // Past the first lease's end, inside the extended one.
    assertInstanceOf(
        Claim.InFlight.class,
        store.claim(List.of(key("e1")), LONG).get(key("e1")),
        "an extended lease is not taken over");
    assertEquals(Set.of(key("e1"), key("e2")), store.extend(claimed(mine), shortTime()));
    assertEquals(Set.of(), store.complete(claimed(mine), LONG, Map.of()), "still ours");
    assertInstanceOf(Claim.Done.class, store.claim(List.of(key("e2")), LONG).get(key("e2")));
  }

  @Test
  public void extendReportsALeaseTakenOverAsLostAndLeavesItWithTheNewOwner() {
    Map<String, Claim> first = store.claim(List.of(key("t1")), shortTime());
    advance(shortTime().plusMillis(shortTime().toMillis() / 2));
    Map<String, Claim> taker = store.claim(List.of(key("t1")), LONG);
    assertInstanceOf(Claim.Claimed.class, taker.get(key("t1")), "expired lease taken over");
    assertEquals(Set.of(), store.extend(claimed(first), LONG), "t1 is reported lost");
    assertInstanceOf(
        Claim.InFlight.class,
        store.claim(List.of(key("t1")), LONG).get(key("t1")),
        "the new owner still holds t1");
    assertEquals(Set.of(key("t1")), store.complete(claimed(first), LONG, Map.of()));
    assertEquals(Set.of(), store.complete(claimed(taker), LONG, Map.of()), "not stolen back");
  }

  @Test
  public void extendLeavesCompletedAndReleasedKeysAlone() {
    Map<String, Claim> done = store.claim(List.of(key("d1")), LONG);
    store.complete(claimed(done), shortTime(), Map.of());
    Map<String, Claim> freed = store.claim(List.of(key("f1")), LONG);
    store.release(claimed(freed));
    List<Claim.Claimed> both = new ArrayList<>(claimed(done));
    both.addAll(claimed(freed));
    assertEquals(Set.of(), store.extend(both, LONG));
    assertInstanceOf(Claim.Done.class, store.claim(List.of(key("d1")), LONG).get(key("d1")));
    assertInstanceOf(Claim.Claimed.class, store.claim(List.of(key("f1")), LONG).get(key("f1")));
    // A completion keeps its own retention: extend must not have made it a claim again.
    advance(shortTime().plusMillis(shortTime().toMillis() / 2));
    assertInstanceOf(Claim.Claimed.class, store.claim(List.of(key("d1")), LONG).get(key("d1")));
  }

  @Test
  public void extendOfAFiveHundredClaimBatchExtendsEveryOne() {
    List<String> keys = IntStream.range(0, 500).mapToObj(i -> key("ext" + i)).toList();
    Map<String, Claim> answers = store.claim(keys, LONG);
    assertEquals(Set.copyOf(keys), store.extend(claimed(answers), LONG));
    assertEquals(Set.of(), store.extend(List.of(), LONG));
  }

  @Test
  public void aBatchMixingNewDoneAndInFlightKeysAnswersEachInOrder() {
    store.complete(claimed(store.claim(List.of(key("done")), LONG)), LONG, Map.of());
    store.claim(List.of(key("busy")), LONG);
    List<String> batch = List.of(key("new1"), key("done"), key("busy"), key("new2"), key("new1"));
    Map<String, Claim> answers = store.claim(batch, LONG);
    assertEquals(
        List.of(key("new1"), key("done"), key("busy"), key("new2")),
        new ArrayList<>(answers.keySet()));
    assertInstanceOf(Claim.Claimed.class, answers.get(key("new1")));
    assertInstanceOf(Claim.Done.class, answers.get(key("done")));
    assertInstanceOf(Claim.InFlight.class, answers.get(key("busy")));
    assertInstanceOf(Claim.Claimed.class, answers.get(key("new2")));
  }

  @Test
  public void aBatchOfFiveHundredKeysIsAnsweredWhole() {
    List<String> keys = IntStream.range(0, 500).mapToObj(i -> key("big" + i)).toList();
    Map<String, Claim> answers = store.claim(keys, LONG);
    assertEquals(500, answers.size());
    answers.values().forEach(c -> assertInstanceOf(Claim.Claimed.class, c));
    assertEquals(Set.of(), store.complete(claimed(answers), LONG, Map.of()));
    assertEquals(
        Set.of(Claim.Status.DONE),
        store.claim(keys, LONG).values().stream().map(Claim::status).collect(Collectors.toSet()));
  }

  @Test
  public void purgeRemovesExpiredEntriesAndKeepsLiveOnes() {
    store.complete(claimed(store.claim(List.of(key("old")), LONG)), shortTime(), Map.of());
    store.claim(List.of(key("stale")), shortTime());
    store.complete(claimed(store.claim(List.of(key("kept")), LONG)), LONG, Map.of());
    store.claim(List.of(key("held")), LONG);
    advance(shortTime().plusMillis(shortTime().toMillis() / 2));
    int purged = store.purgeExpired();
    if (purgeCounts()) {
      assertTrue(purged >= 2, "purged " + purged + ", expected at least the 2 expired entries");
    }
    assertInstanceOf(Claim.Done.class, store.claim(List.of(key("kept")), LONG).get(key("kept")));
    assertInstanceOf(
        Claim.InFlight.class, store.claim(List.of(key("held")), LONG).get(key("held")));
    assertInstanceOf(Claim.Claimed.class, store.claim(List.of(key("old")), LONG).get(key("old")));
  }

  @Test
  public void keysMustFitTheStore() {
    assertThrows(IllegalArgumentException.class, () -> store.claim(List.of(""), LONG));
    assertThrows(
        IllegalArgumentException.class,
        () -> store.claim(List.of("k".repeat(DedupStore.MAX_KEY_LENGTH + 1)), LONG));
    String longest = key("").isEmpty() ? "" : key("m");
    String max = longest + "m".repeat(DedupStore.MAX_KEY_LENGTH - longest.length());
    assertInstanceOf(Claim.Claimed.class, store.claim(List.of(max), LONG).get(max));
  }

  @Test
  public void unicodeKeysAreKeptApart() {
    List<String> keys = List.of(key("caf\u00e9"), key("cafe"), key("CAF\u00c9"), key("cafe "));
    Map<String, Claim> answers = store.claim(keys, LONG);
    answers.values().forEach(c -> assertInstanceOf(Claim.Claimed.class, c, c.toString()));
    assertEquals(Set.of(), store.complete(claimed(answers), LONG, Map.of()));
  }

  @Test
  public void aReachableStoreAnswersAPingWithinItsTimeout() {
    assumeTrue(pings(), "the store does not implement ping");
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> store.ping(Duration.ofSeconds(5)));
    // A ping decides nothing: the keys are as they were.
    assertInstanceOf(
        Claim.Claimed.class, store.claim(List.of(key("after-ping")), LONG).get(key("after-ping")));
  }

  @Test
  public void anUnreachableStoreFailsClearlyAndDecidesNothing() {
    DedupStore down;
    try {
      down = assertTimeoutPreemptively(Duration.ofSeconds(60), this::unreachableStore);
    } catch (DedupStoreException refusedAtStart) {
      // Stores that connect when built refuse right there, which is as clear as it gets.
      assertTrue(!refusedAtStart.getMessage().isBlank(), "a message says what failed");
      down = null;
    }
    if (down != null) {
      try {
        DedupStore d = down;
        DedupStoreException e =
            assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () ->
                    assertThrows(
                        DedupStoreException.class, () -> d.claim(List.of(key("d")), LONG)));
        assertTrue(
            e.getMessage() != null && !e.getMessage().isBlank(), "a message says what failed");
        assertThrows(
            DedupStoreException.class,
            () ->
                d.complete(
                    List.of(new Claim.Claimed(key("d"), "t", java.time.Instant.now())),
                    LONG,
                    Map.of()));
        if (pings()) {
          DedupStoreException p =
              assertTimeoutPreemptively(
                  Duration.ofSeconds(30),
                  () ->
                      assertThrows(DedupStoreException.class, () -> d.ping(Duration.ofSeconds(2))));
          assertTrue(
              p.getMessage() != null && !p.getMessage().isBlank(), "a message says what failed");
        }
      } finally {
        down.close();
      }
    }
    // the reachable store never saw the key
    assertInstanceOf(Claim.Claimed.class, store.claim(List.of(key("d")), LONG).get(key("d")));
  }

  protected static List<Claim.Claimed> claimed(Map<String, Claim> answers) {
    return answers.values().stream()
        .filter(Claim.Claimed.class::isInstance)
        .map(Claim.Claimed.class::cast)
        .toList();
  }
}
