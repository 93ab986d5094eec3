package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A SIGKILLed processor restarted under its instance id gets its partitions back at once, by
 * default: its instance id is its static group.instance.id, so it replaces its dead predecessor
 * instead of waiting out the predecessor's 45 s session (Kafka's default session.timeout.ms).
 */
class ProcessorRestartTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration SESSION = Duration.ofSeconds(45);

  @Test
  void aKilledInstanceRestartedResumesItsPartitionsWellWithinTheSession() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("restart-in", 3);
    kafka.createTopic("restart-out", 3);
    try (ChildProcess first = child(kafka, "first")) {
      first.awaitOutput(": assigned [restart-in", Duration.ofSeconds(90));
      first.kill();
      first.awaitExit(Duration.ofSeconds(30));
    }
    long start = System.nanoTime();
    try (ChildProcess second = child(kafka, "second")) {
      second.awaitOutput(": assigned [restart-in", SESSION);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      // A JVM start and a join; a dynamic member would wait for the dead one's session to end.
      assertThat(took).as("time to get the partitions back").isLessThan(SESSION.dividedBy(2));
    }
  }

  private static ChildProcess child(EmbeddedKafka kafka, String name) {
    return ChildProcess.builder(ProcessorChild.class)
        .name("restart-" + name)
        .jvmArgs("-Xmx128m", "-XX:TieredStopAtLevel=1")
        .args(
            "bootstrap=" + kafka.bootstrapServers(),
            "in=restart-in",
            "out=restart-out",
            "group=restart",
            "instance=a",
            "sessionMs=" + SESSION.toMillis())
        .start();
  }
}
