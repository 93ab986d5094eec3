package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.Ticker;
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
    Thread.sleep(200); // real time passes; fake time does not
    assertThat(waited).isNotDone();
    clock.advance(Duration.ofMinutes(9));
    Thread.sleep(100);
    assertThat(waited).isNotDone();
    clock.advance(Duration.ofMinutes(1));

    assertThat(waited.get(5, TimeUnit.SECONDS)).isTrue();
    assertThat(clock.instant()).isEqualTo(Instant.parse("2026-01-01T00:10:00Z"));
  }

  @Test
  void aWaitEndsPromptlyWhenItsEngineStopsEvenIfTimeStandsStill() throws Exception {
    Ticker clock = FakeClock.atEpochPlusOneYear();
    AtomicBoolean running = new AtomicBoolean(true);
    CompletableFuture<Boolean> waited =
        CompletableFuture.supplyAsync(
            () -> Waits.sleepWhileQuietly(clock, Duration.ofHours(1), running::get));
    Thread.sleep(100);
    running.set(false);
    assertThat(waited.get(2, TimeUnit.SECONDS)).isFalse();
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
