package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.FaultPoint;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.testkit.KafkaCluster;
import dev.exactly.testkit.KafkaClusterExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.HangingTransactionCheck;
import dev.exactly.testkit.check.InputGenerator;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code close(timeout)} while a commit cannot finish: the only broker is frozen with SIGSTOP just
 * before the commit of the first batch. Close must return within its timeout (plus the engine's
 * bounded client close), and nothing of the batch may ever become visible to {@code
 * read_committed}, although its records did reach the broker.
 */
class ProcessorCloseTest {
  @RegisterExtension static final KafkaClusterExtension CLUSTER = KafkaClusterExtension.brokers(1);

  @Test
  void closeReturnsInTimeWhenTheCommitHangsAndTheBatchNeverBecomesVisible() throws Exception {
    KafkaCluster cluster = CLUSTER.cluster();
    String bootstrap = cluster.bootstrapServers();
    cluster.createTopic("hang-in", 1);
    cluster.createTopic("hang-in.dlt", 1);
    cluster.createTopic("hang-out", 1);
    InputGenerator.produce(bootstrap, "hang-in", InputGenerator.generate(100, 10, 5), 10, 0);

    CountDownLatch paused = new CountDownLatch(1);
    AtomicInteger commits = new AtomicInteger();
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    // Sends go out at once, so the batch is on the broker (uncommitted) before it freezes.
    props.put("linger.ms", 0);
    // The open transaction the closed producer leaves behind is aborted by the broker soon.
    props.put("transaction.timeout.ms", 10_000);
    ExactlyOnceProcessor p =
        ExactlyOnceProcessor.builder(props)
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId("hang-group")
            .instanceId("a")
            .faults(
                point -> {
                  if (point == FaultPoint.PROCESSOR_AFTER_SENDS_BEFORE_COMMIT
                      && commits.incrementAndGet() == 1) {
                    sleep(Duration.ofSeconds(1));
                    cluster.pause(1);
                    paused.countDown();
                  }
                })
            .input("hang-in", new StringDeserializer(), new ByteArrayDeserializer())
            .output(new StringSerializer(), new ByteArraySerializer())
            .process((record, out) -> out.send("hang-out", record.key(), record.value()))
            .build();
    p.start();
    try {
      assertThat(paused.await(90, TimeUnit.SECONDS)).as("first commit reached").isTrue();
      long begin = System.nanoTime();
      boolean closed = p.close(Duration.ofSeconds(3));
      Duration took = Duration.ofNanos(System.nanoTime() - begin);
      assertThat(closed).as("close returned with the engine stopped").isTrue();
      // The timeout plus the engine's bounded client close (5 s), with slack for a loaded machine.
      assertThat(took).isLessThan(Duration.ofSeconds(10));
      assertThat(p.state().isTerminal()).as("state " + p.state()).isTrue();
    } finally {
      cluster.resume(1);
    }
    assertThat(HangingTransactionCheck.awaitStable(bootstrap, "hang-out", Duration.ofSeconds(90)))
        .as("the abandoned transaction is aborted by its timeout")
        .isEmpty();
    assertThat(TopicReader.readUncommitted(bootstrap, "hang-out"))
        .as("the batch's records reached the broker")
        .isNotEmpty();
    assertThat(TopicReader.readCommitted(bootstrap, "hang-out"))
        .as("nothing of the batch is visible")
        .isEmpty();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
