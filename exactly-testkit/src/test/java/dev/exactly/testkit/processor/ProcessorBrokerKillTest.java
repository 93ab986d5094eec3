package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.testkit.KafkaCluster;
import dev.exactly.testkit.KafkaClusterExtension;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The crash run on three child-JVM brokers (replication 3, min ISR 2), with a broker SIGKILLed and
 * brought back in turn on top of the processor kills: still exactly once.
 */
class ProcessorBrokerKillTest {
  @RegisterExtension static final KafkaClusterExtension CLUSTER = KafkaClusterExtension.brokers(3);

  @Test
  void exactlyOnceSurvivesBrokerAndProcessorKills() throws Exception {
    KafkaCluster cluster = CLUSTER.cluster();
    Random random = new Random(11);
    int[] down = {0};
    CrashScenario s = new CrashScenario();
    s.bootstrap = cluster.bootstrapServers();
    s.name = "broker-kill";
    s.createTopic = cluster::createTopic;
    s.inputs = 20_000;
    s.perSecond = 800;
    s.faultPhase = Duration.ofSeconds(40);
    s.randomKillEvery = Duration.ofSeconds(8);
    s.extraFaultEvery = Duration.ofSeconds(8);
    s.extraFault =
        () -> {
          if (down[0] == 0) {
            down[0] = 1 + random.nextInt(3);
            cluster.kill(down[0]);
          } else {
            cluster.restart(down[0]);
            down[0] = 0;
          }
        };
    CrashScenario.Result r;
    try {
      r = s.run();
    } finally {
      if (down[0] != 0) {
        cluster.restart(down[0]);
      }
    }
    r.report().assertExactlyOnce();
    assertThat(r.aborted().abortedReads()).as(r.summary()).isEmpty();
    assertThat(r.hanging()).as(r.summary()).isEmpty();
    assertThat(r.extraFaults()).as("broker kills and restarts").isGreaterThanOrEqualTo(2);
  }
}
