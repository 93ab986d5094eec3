package dev.exactly.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.Ticker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The renewer on a hand-moved clock and the in-memory store: no sleeping for leases. */
class LeaseRenewerTest {
  private static final Duration LEASE = Duration.ofSeconds(9);
  private static final TopicPartition TP = new TopicPartition("in", 0);

  private final ManualTicker clock = new ManualTicker();
  private final InMemoryDedupStore store = InMemoryDedupStore.create(100, clock);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final ConsumerSettings<String, String> settings = settings(20_000);
  private final LeaseRenewer renewer =
      new LeaseRenewer(settings, new DedupMetrics(meters, settings));

  @AfterEach
  void close() {
    renewer.close();
  }

  @Test
  void aHeldClaimOutlivesManyLeases() throws Exception {
    Claim.Claimed mine = claim("k");
    renewer.hold(mine, TP, 7, clock.nanoTime());
    clock.awaitSleeper();
    for (int i = 0; i < 6; i++) { // 18 s, two leases, within max.poll.interval.ms
      long before = renewals();
      clock.advance(Duration.ofSeconds(3)); // a third of the lease
      awaitRenewalsAbove(before);
      clock.awaitSleeper();
      assertThat(store.claim(List.of("k"), LEASE).get("k"))
          .as("another caller after %s s", 3 * (i + 1))
          .isInstanceOf(Claim.InFlight.class);
    }
    assertThat(renewer.dropAll()).isEmpty();
    assertThat(store.complete(List.of(mine), Duration.ofDays(1), Map.of())).isEmpty();
  }

  @Test
  void aClaimTakenOverIsReportedLostAndNotRenewedAgain() throws Exception {
    Claim.Claimed mine = claim("k");
    clock.advance(LEASE.plusSeconds(1)); // expired before the renewer ever held it
    Claim taker = store.claim(List.of("k"), LEASE).get("k");
    assertThat(taker).isInstanceOf(Claim.Claimed.class);
    renewer.hold(mine, TP, 7, clock.nanoTime());
    clock.awaitSleeper();
    clock.advance(Duration.ofSeconds(3));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!renewer.lost("k") && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(renewer.lost("k")).isTrue();
    assertThat(meters.get("exactly.dedup.leases.lost").counter().count()).isEqualTo(1);
    assertThat(renewer.dropAll()).containsExactly("k");
    assertThat(store.complete(List.of((Claim.Claimed) taker), Duration.ofDays(1), Map.of()))
        .as("the taker still holds it")
        .isEmpty();
  }

  @Test
  void droppedAndForgottenClaimsAreNotRenewed() throws Exception {
    Claim.Claimed a = claim("a");
    Claim.Claimed b = claim("b");
    renewer.hold(a, TP, 1, clock.nanoTime());
    renewer.hold(b, new TopicPartition("in", 1), 2, clock.nanoTime());
    renewer.forget(List.of(new TopicPartition("in", 1)));
    clock.awaitSleeper();
    long before = renewals();
    clock.advance(Duration.ofSeconds(3));
    awaitRenewalsAbove(before);
    before = renewals();
    clock.advance(Duration.ofSeconds(7)); // past b's first lease, inside a's renewed one
    // The advance makes a's next renewal due: let it finish and the renewer sleep again, or it
    // may still be renewing a when the count is read after dropAll below.
    awaitRenewalsAbove(before);
    clock.awaitSleeper();
    assertThat(store.claim(List.of("b"), LEASE).get("b"))
        .as("a revoked partition's claim runs out")
        .isInstanceOf(Claim.Claimed.class);
    assertThat(store.claim(List.of("a"), LEASE).get("a")).isInstanceOf(Claim.InFlight.class);
    renewer.dropAll();
    before = renewals();
    clock.advance(Duration.ofSeconds(20));
    Thread.sleep(200);
    assertThat(renewals()).as("nothing held, nothing renewed").isEqualTo(before);
    assertThat(store.claim(List.of("a"), LEASE).get("a")).isInstanceOf(Claim.Claimed.class);
  }

  @Test
  void aBatchOverrunningMaxPollIntervalStopsRenewingSoAHungHandlerFreesItsKeys() throws Exception {
    Claim.Claimed mine = claim("k");
    renewer.hold(mine, TP, 7, clock.nanoTime());
    clock.awaitSleeper();
    for (int i = 0; i < 6; i++) { // 18 s: renewed while within max.poll.interval.ms (20 s)
      long before = renewals();
      clock.advance(Duration.ofSeconds(3));
      awaitRenewalsAbove(before);
      clock.awaitSleeper();
    }
    long before = renewals();
    clock.advance(Duration.ofSeconds(3)); // 21 s: Kafka has moved the partition on
    clock.awaitSleeper();
    clock.awaitSleeper();
    assertThat(renewals()).as("no renewal past max.poll.interval.ms").isEqualTo(before);
    clock.advance(LEASE);
    assertThat(store.claim(List.of("k"), LEASE).get("k"))
        .as("the key passes on one lease after the last renewal")
        .isInstanceOf(Claim.Claimed.class);
  }

  @Test
  void eachClaimStopsAtItsOwnBoundWhileYoungerClaimsKeepBeingRenewed() throws Exception {
    Claim.Claimed old = claim("old");
    renewer.hold(old, TP, 1, clock.nanoTime());
    clock.awaitSleeper();
    for (int i = 0; i < 4; i++) { // 12 s
      long before = renewals();
      clock.advance(Duration.ofSeconds(3));
      awaitRenewalsAbove(before);
      clock.awaitSleeper();
    }
    Claim.Claimed young = claim("young"); // claimed at 12 s, as a later poll's key
    renewer.hold(young, TP, 2, clock.nanoTime());
    assertThat(renewer.renewing("old")).isTrue();
    for (int i = 0; i < 6; i++) { // to 30 s: "old" passes max.poll.interval.ms (20 s) at 21 s
      long before = renewals();
      clock.advance(Duration.ofSeconds(3));
      awaitRenewalsAbove(before);
      clock.awaitSleeper();
    }
    assertThat(renewer.renewing("old")).as("held past max.poll.interval.ms").isFalse();
    assertThat(renewer.renewing("young")).isTrue();
    clock.advance(Duration.ofSeconds(1)); // 31 s: "old" last renewed at 21 s, its lease ended
    assertThat(store.claim(List.of("old"), LEASE).get("old"))
        .as("the old key passes on one lease after its last renewal")
        .isInstanceOf(Claim.Claimed.class);
    assertThat(store.claim(List.of("young"), LEASE).get("young"))
        .as("the young key is still renewed")
        .isInstanceOf(Claim.InFlight.class);
  }

  private Claim.Claimed claim(String key) {
    return (Claim.Claimed) store.claim(List.of(key), LEASE).get(key);
  }

  private long renewals() {
    return meters.get("exactly.dedup.store.latency").tag("op", "extend").timer().count();
  }

  private void awaitRenewalsAbove(long count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (renewals() <= count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no renewal within 10 s after the clock passed a third lease");
      }
      Thread.sleep(2);
    }
  }

  private ConsumerSettings<String, String> settings(int maxPollIntervalMs) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", "127.0.0.1:1");
    props.put("max.poll.interval.ms", maxPollIntervalMs);
    return ConsumerSettings.from(
        IdempotentConsumer.builder(props)
            .groupId("g")
            .input("in", new StringDeserializer(), new StringDeserializer())
            .store(store)
            .lease(LEASE)
            .ticker(clock)
            .handler(r -> {}));
  }

  /** Time moves only when the test says; sleepers wait a millisecond of real time per call. */
  static final class ManualTicker implements Ticker {
    private final AtomicLong nanos = new AtomicLong();
    private final AtomicLong sleeps = new AtomicLong();

    /** Waits until a thread sleeps on this clock again: it has read the time it waits from. */
    void awaitSleeper() throws InterruptedException {
      long seen = sleeps.get();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (sleeps.get() <= seen + 1) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("nothing sleeps on the clock");
        }
        Thread.sleep(1);
      }
    }

    private final long epochMillis = 1_800_000_000_000L;

    void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }

    @Override
    public long nanoTime() {
      return nanos.get();
    }

    @Override
    public long millis() {
      return epochMillis + nanos.get() / 1_000_000;
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
      sleeps.incrementAndGet();
      Thread.sleep(1);
    }
  }
}
