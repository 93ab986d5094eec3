package dev.exactly.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.processor.Guarantee;
import dev.exactly.testkit.GroupProtocol;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A short soak in the suite: what the crash tests lack is scaling 1 -> 3 -> 2 and SIGSTOP pauses
 * past the session timeout in the same run as processor and broker kills. The full run is a main
 * (see docs/reliability.md). Under both group protocols: under the consumer protocol the broker
 * owns the session, so a pause outlasts the broker's and a restarted static instance waits it out.
 */
class ProcessorSoakTest {
  @ParameterizedTest
  @EnumSource(GroupProtocol.class)
  void exactlyOnceHoldsThroughScalingPausesAndKillsInOneRun(GroupProtocol protocol)
      throws Exception {
    ProcessorSoak soak =
        new ProcessorSoak(
            3, 40_000, 2000, Guarantee.EXACTLY_ONCE, protocol, ProcessorSoak.Schedule.SHORT);
    // run() prints the checker's summary and returns 1 on any lost, duplicated, reordered or
    // aborted read, a hanging transaction or an unexpected exit.
    assertThat(soak.run()).as("soak result (summary on stdout)").isZero();
    assertThat(soak.scaling()).as("scaling steps").hasSize(3);
    assertThat(soak.pauses()).as("SIGSTOP pauses").isPositive();
    assertThat(soak.kills()).as("processor SIGKILLs").isPositive();
    assertThat(soak.brokerKills()).as("broker SIGKILLs").isPositive();
  }
}
