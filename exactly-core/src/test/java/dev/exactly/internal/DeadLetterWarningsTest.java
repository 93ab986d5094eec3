package dev.exactly.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.DeadLetterReason;
import dev.exactly.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeadLetterWarningsTest {
  private long nanos = 1_000;
  private final Ticker ticker =
      new Ticker() {
        @Override
        public long nanoTime() {
          return nanos;
        }

        @Override
        public long millis() {
          return nanos / 1_000_000;
        }

        @Override
        public void sleep(Duration duration) {
          nanos += duration.toNanos();
        }
      };
  private final List<String> lines = new ArrayList<>();
  private final DeadLetterWarnings warnings =
      new DeadLetterWarnings("sink s/1", ticker, lines::add);

  @Test
  void oneLineASecondAndTheNextSaysHowManyWentUnlogged() {
    IllegalStateException why = new IllegalStateException("bad row");
    warnings.gaveUp("in-0@1", "in.dlt", DeadLetterReason.NON_RETRIABLE, why);
    for (int i = 2; i <= 50; i++) {
      warnings.gaveUp("in-0@" + i, "in.dlt", DeadLetterReason.NON_RETRIABLE, why);
    }
    assertThat(lines)
        .containsExactly(
            "sink s/1: in-0@1 sent to dead-letter topic in.dlt (non-retriable):"
                + " java.lang.IllegalStateException: bad row");
    nanos += DeadLetterWarnings.EVERY.toNanos();
    warnings.gaveUp("in-0@51", "in.dlt", DeadLetterReason.DESERIALIZATION, why);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1))
        .startsWith("sink s/1: in-0@51 sent to dead-letter topic in.dlt (deserialization)")
        .endsWith("(and 49 more since the last line)");
    nanos += DeadLetterWarnings.EVERY.toNanos();
    warnings.gaveUp("in-0@52", "in.dlt", DeadLetterReason.NON_RETRIABLE, why);
    assertThat(lines.get(2)).doesNotContain("more since");
  }
}
