package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactly.internal.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class FakeClockTest {

  @Test
  void aWaitOnTheFakeClockEndsWhenTheTestMovesTimeNotBefore() throws Exception {
    FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    CompletableFuture<Boolean> waited =
        CompletableFuture.supplyAsync(
            () -> Waits.sleepWhileQuietly(clock, Duration.ofMinutes(10), () -> true));

    await().atMost(Duration.ofSeconds(5)).until(() -> clock.sleepers() == 1);
    clock.advance(Duration.ofMinutes(9));
    clock.awaitIdle(Duration.ofSeconds(5)); // woken, found time left, waits again
    assertThat(waited).isNotDone();
    clock.advance(Duration.ofMinutes(1));

    assertThat(waited.get(5, TimeUnit.SECONDS)).isTrue();
    assertThat(clock.instant()).isEqualTo(Instant.parse("2026-01-01T00:10:00Z"));
  }

  @Test
  void aWaitEndsPromptlyWhenItsEngineStopsEvenIfTimeStandsStill() throws Exception {
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    AtomicBoolean running = new AtomicBoolean(true);
    CompletableFuture<Boolean> waited =
        CompletableFuture.supplyAsync(
            () -> Waits.sleepWhileQuietly(clock, Duration.ofHours(1), running::get));
    await().atMost(Duration.ofSeconds(5)).until(() -> clock.sleepers() == 1);
    running.set(false);
    assertThat(waited.get(2, TimeUnit.SECONDS)).isFalse();
  }

  @Test
  void awaitIdleFailsWhenNothingWaitsAfterTheAdvance() {
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    clock.advance(Duration.ofSeconds(1));
    assertThatThrownBy(() -> clock.awaitIdle(Duration.ofMillis(100)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("no thread waited");
  }

  @Test
  void awaitIdleIgnoresWaitsFromBeforeTheAdvance() throws Exception {
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    clock.sleep(Duration.ofSeconds(1)); // returns after at most 10 ms of real time
    clock.advance(Duration.ofSeconds(1));
    assertThatThrownBy(() -> clock.awaitIdle(Duration.ofMillis(100)))
        .isInstanceOf(AssertionError.class);
    clock.sleep(Duration.ofSeconds(1));
    clock.awaitIdle(Duration.ofMillis(100));
  }

  @Test
  void nanoTimeAndMillisMoveTogether() {
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    long nanos = clock.nanoTime();
    long millis = clock.millis();
    clock.advance(Duration.ofMillis(1500));
    assertThat(clock.nanoTime() - nanos).isEqualTo(1_500_000_000L);
    assertThat(clock.millis() - millis).isEqualTo(1500);
  }
}
