package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationConverterTest {
  private final DurationConverter c = new DurationConverter();

  @Test
  void readsDurationsAsOperatorsWriteThem() {
    assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(c.convert("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.convert("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.convert("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(c.convert("7d")).isEqualTo(Duration.ofDays(7));
    assertThatThrownBy(() -> c.convert("5 minutes"))
        .isInstanceOf(CommandLine.TypeConversionException.class)
        .hasMessageContaining("500ms, 30s, 5m, 2h or 7d");
  }
}
