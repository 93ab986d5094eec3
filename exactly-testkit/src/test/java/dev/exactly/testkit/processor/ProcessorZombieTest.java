package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.AbortedReadMonitor;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.HangingTransactionCheck;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.InputGenerator;
import dev.exactly.testkit.check.RecordCodec;
import dev.exactly.testkit.check.TopicEffects;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An instance frozen (SIGSTOP) with a transaction open, past its session timeout: the group gives
 * its partitions to the other instance. When it thaws (SIGCONT) and carries on with its stale
 * batch, the group generation in its offset commit fences it: nothing of that batch ever becomes
 * visible to read_committed, and every input still takes effect exactly once.
 */
class ProcessorZombieTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void aFrozenInstanceThawedAfterTheGroupMovedOnCommitsNothing() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    String bootstrap = kafka.bootstrapServers();
    kafka.createTopic("zombie-in", 6);
    kafka.createTopic("zombie-out", 6);
    List<Input> inputs = InputGenerator.generate(6000, 120, 7);
    Thread producer =
        new Thread(() -> InputGenerator.produce(bootstrap, "zombie-in", inputs, 20, 300));
    try (AbortedReadMonitor monitor = AbortedReadMonitor.start(bootstrap, "zombie-out");
        ChildProcess zombie = child(bootstrap, "a", 3000);
        ChildProcess survivor = child(bootstrap, "b", 100)) {
      zombie.awaitOutput(": assigned [zombie", Duration.ofSeconds(90));
      survivor.awaitOutput(": assigned [zombie", Duration.ofSeconds(90));
      producer.start();
      // Let a commit a few batches so it is mid-transaction when frozen.
      await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> attempts(bootstrap, IsolationLevel.READ_COMMITTED, "a-").size() >= 2);
      await().atMost(Duration.ofSeconds(30)).until(() -> !openAttempts(bootstrap).isEmpty());
      zombie.pause();
      Thread.sleep(1000);
      Set<String> frozenOpen = openAttempts(bootstrap);
      assertThat(frozenOpen).as("a must be frozen with a transaction open").isNotEmpty();

      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(() -> groupSize(admin) == 1);
      }
      // b now owns every partition; give it time to reprocess a's uncommitted inputs.
      Thread.sleep(3000);
      zombie.resume();

      producer.join();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> TopicReader.readCommitted(bootstrap, "zombie-out").size() >= inputs.size());
      zombie.terminate();
      survivor.terminate();
      zombie.awaitExit(Duration.ofSeconds(60));
      survivor.awaitExit(Duration.ofSeconds(60));

      Set<String> committed = attempts(bootstrap, IsolationLevel.READ_COMMITTED, "a-");
      assertThat(committed)
          .as("the transaction a had open when frozen must never commit")
          .doesNotContainAnyElementsOf(frozenOpen);
      assertThat(attempts(bootstrap, IsolationLevel.READ_UNCOMMITTED, "a-"))
          .as("a did write in that transaction")
          .containsAll(frozenOpen);
      assertThat(zombie.outputText())
          .as("after thawing, a's commit was refused and its batch aborted")
          .contains("aborting and rewinding");
      assertThat(
              HangingTransactionCheck.awaitStable(bootstrap, "zombie-out", Duration.ofSeconds(60)))
          .isEmpty();
      AbortedReadMonitor.Report aborted = monitor.report();
      assertThat(aborted.abortedReads()).as(aborted.summary()).isEmpty();
      assertThat(aborted.abortedAttempts()).containsAll(frozenOpen);
      new ExactlyOnceChecker(inputs)
          .check(new TopicEffects(bootstrap, "zombie-out"))
          .assertExactlyOnce();
    }
  }

  private static ChildProcess child(String bootstrap, String instance, int commitMs) {
    return ChildProcess.builder(ProcessorChild.class)
        .name("zombie-" + instance)
        .jvmArgs("-Xmx128m", "-XX:TieredStopAtLevel=1")
        .args(
            "bootstrap=" + bootstrap,
            "in=zombie-in",
            "out=zombie-out",
            "group=zombie",
            "instance=" + instance,
            "commitMs=" + commitMs,
            "sessionMs=6000",
            "txnTimeoutMs=120000")
        .start();
  }

  /** a's attempts that wrote outputs not (yet) committed. */
  private static Set<String> openAttempts(String bootstrap) {
    Set<String> open = attempts(bootstrap, IsolationLevel.READ_UNCOMMITTED, "a-");
    open.removeAll(attempts(bootstrap, IsolationLevel.READ_COMMITTED, "a-"));
    return open;
  }

  private static Set<String> attempts(String bootstrap, IsolationLevel level, String prefix) {
    Set<String> ids = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TopicReader.read(bootstrap, "zombie-out", level, Duration.ofSeconds(60))) {
      String attempt = RecordCodec.decodeOutput(r.value()).attemptId();
      if (attempt.startsWith(prefix)) {
        ids.add(attempt);
      }
    }
    return ids;
  }

  private static int groupSize(Admin admin) throws Exception {
    return admin
        .describeConsumerGroups(List.of("zombie"))
        .describedGroups()
        .get("zombie")
        .get(30, TimeUnit.SECONDS)
        .members()
        .size();
  }
}
