package dev.exactly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void backoffGrowsAndIsCapped() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(500), 2.0);
    assertThat(p.backoffAfter(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.backoffAfter(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(p.backoffAfter(3)).isEqualTo(Duration.ofMillis(400));
    assertThat(p.backoffAfter(4)).isEqualTo(Duration.ofMillis(500));
    assertThat(p.backoffAfter(60)).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void retriesStopAtMaxAttempts() {
    assertThat(RetryPolicy.fixed(3, Duration.ZERO).canRetryAfter(2)).isTrue();
    assertThat(RetryPolicy.fixed(3, Duration.ZERO).canRetryAfter(3)).isFalse();
    assertThat(RetryPolicy.NONE.canRetryAfter(1)).isFalse();
  }

  @Test
  void badValuesNameTheSetting() {
    assertThatThrownBy(() -> RetryPolicy.fixed(0, Duration.ZERO))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("retry.maxAttempts=0");
    assertThatThrownBy(() -> new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(1), 2.0))
        .hasMessageContaining("retry.maxBackoff=PT1S")
        .hasMessageContaining("raise it");
  }
}
