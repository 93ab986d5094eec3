package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.FaultPoint;
import dev.exactly.processor.Guarantee;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.GroupProtocol;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Three processor instances in child JVMs, halted at every named crash point and SIGKILLed at
 * random while 50,000 inputs flow over 6 partitions; the checker must find every input exactly
 * once, in order, with no aborted read and no hanging transaction. The same run in at-least-once
 * mode must be caught duplicating.
 */
class ProcessorCrashTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static CrashScenario scenario(String name) {
    EmbeddedKafka kafka = KAFKA.broker();
    CrashScenario s = new CrashScenario();
    s.bootstrap = kafka.bootstrapServers();
    s.name = name;
    s.createTopic = kafka::createTopic;
    return s;
  }

  /**
   * Under both group protocols. Under the consumer protocol a restarted static instance (a, b)
   * waits out its killed predecessor's session on the broker before it gets its partitions back.
   */
  @ParameterizedTest
  @EnumSource(GroupProtocol.class)
  void exactlyOnceSurvivesKillsAtEveryCrashPointAndAtRandom(GroupProtocol protocol)
      throws Exception {
    CrashScenario s = scenario("eos-crash-" + protocol.value());
    s.protocol = protocol;
    CrashScenario.Result r = s.run();

    r.report().assertExactlyOnce();
    assertThat(r.report().observed()).isEqualTo(50_000);
    assertThat(r.aborted().abortedReads()).as(r.summary()).isEmpty();
    if (protocol.isClassic()) {
      // Under the consumer protocol a restarted instance waits out its predecessor's session
      // before it gets partitions back, so many kills find an instance with no batch written: a
      // run was seen whose 10 deaths aborted no written batch. That kills abort transactions is
      // shown by the classic run and by the concurrent one; this run shows the rejoin.
      assertThat(r.aborted().abortedAttempts())
          .as("kills must really have aborted transactions, or this run proves little")
          .isNotEmpty();
    }
    assertThat(r.hanging()).as(r.summary()).isEmpty();
    assertThat(r.crashPointHalts()).as(r.summary()).isGreaterThanOrEqualTo(3);
    assertThat(r.randomKills()).as(r.summary()).isGreaterThanOrEqualTo(3);
  }

  /** Eight records at once per instance, several keys each: still exactly once, in key order. */
  @Test
  void exactlyOnceWithConcurrencySurvivesTheSameKills() throws Exception {
    CrashScenario s = scenario("eos-crash-concurrent");
    s.concurrency = 8;
    s.inputs = 20_000;
    s.perSecond = 800;
    s.faultPhase = Duration.ofSeconds(25);
    CrashScenario.Result r = s.run();

    r.report().assertExactlyOnce();
    assertThat(r.report().observed()).isEqualTo(20_000);
    assertThat(r.aborted().abortedReads()).as(r.summary()).isEmpty();
    assertThat(r.aborted().abortedAttempts()).as(r.summary()).isNotEmpty();
    assertThat(r.hanging()).as(r.summary()).isEmpty();
    assertThat(r.crashPointHalts() + r.randomKills()).as(r.summary()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void atLeastOnceUnderTheSameKillsIsCaughtDuplicating() throws Exception {
    CrashScenario s = scenario("alo-crash");
    s.guarantee = Guarantee.AT_LEAST_ONCE_NOT_EXACTLY_ONCE;
    s.inputs = 10_000;
    s.perSecond = 500;
    s.faultPhase = Duration.ofSeconds(20);
    s.randomKillEvery = Duration.ofSeconds(3);
    // At-least-once lingers its sends until the commit's flush, so a halt before the flush loses
    // the sends (the restart redoes them once) and proves nothing. A halt after the flush and
    // before the offset commit must duplicate the batch: that is the window EOS closes. Halt at
    // once there: a delayed halt lets the loopback offset commit finish first.
    s.plan = List.of(FaultPoint.PROCESSOR_DURING_COMMIT.name());
    s.haltAtOnce = true;
    CrashScenario.Result r = s.run();

    assertThat(r.crashPointHalts()).as(r.summary()).isGreaterThanOrEqualTo(1);
    assertThat(r.report().duplicated()).as(r.summary()).isNotEmpty();
    assertThat(r.report().isExactlyOnce()).isFalse();
    assertThat(r.report().lost()).as("at-least-once still loses nothing").isEmpty();
  }
}
