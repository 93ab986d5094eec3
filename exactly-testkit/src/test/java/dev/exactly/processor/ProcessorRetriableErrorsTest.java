package dev.exactly.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.InputGenerator;
import dev.exactly.testkit.check.RecordCodec;
import dev.exactly.testkit.check.TopicEffects;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On a real broker: a retriable Kafka error where the processor aborts (the abort times out) or
 * while it commits the partitions it gives up in a rebalance is mended by aborting and rewinding;
 * the processor keeps running and every input takes effect exactly once.
 */
class ProcessorRetriableErrorsTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void anAbortThatTimesOutIsRetriedAndTheProcessorKeepsRunning() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("aborttimeout-in", 2);
    kafka.createTopic("aborttimeout-in.dlt", 1);
    kafka.createTopic("aborttimeout-out", 2);
    List<Input> inputs = InputGenerator.generate(400, 20, 13);
    InputGenerator.produce(kafka.bootstrapServers(), "aborttimeout-in", inputs, 20, 0);

    AtomicBoolean failCommit = new AtomicBoolean(true);
    AtomicBoolean failAbort = new AtomicBoolean(true);
    ExactlyOnceProcessor p =
        processor(
            "aborttimeout",
            "t1",
            Duration.ofMillis(100),
            properties ->
                new FailingProducer(
                        new KafkaProducer<>(properties),
                        () ->
                            failCommit.getAndSet(false)
                                ? new TransactionAbortableException("injected: abortable")
                                : null)
                    .failingAborts(
                        () ->
                            !failCommit.get() && failAbort.getAndSet(false)
                                ? new TimeoutException("injected: abort timed out")
                                : null));
    p.start();
    try {
      awaitOutputs("aborttimeout-out", inputs.size(), p);
      assertThat(p.state()).isEqualTo(ComponentState.RUNNING);
      assertThat(p.failure()).isEmpty();
      assertThat(failAbort).as("the abort failed once").isFalse();
    } finally {
      assertThat(p.close(Duration.ofSeconds(30))).isTrue();
    }
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "aborttimeout-out"))
        .assertExactlyOnce();
  }

  @Test
  void aKafkaErrorInTheRevocationCommitAbortsAndTheProcessorKeepsRunning() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("revokefail-in", 4);
    kafka.createTopic("revokefail-in.dlt", 1);
    kafka.createTopic("revokefail-out", 4);
    List<Input> inputs = InputGenerator.generate(3000, 60, 17);
    Thread feed =
        new Thread(
            () ->
                InputGenerator.produce(kafka.bootstrapServers(), "revokefail-in", inputs, 20, 300));
    feed.start();

    AtomicBoolean failed = new AtomicBoolean();
    ExactlyOnceProcessor p1 =
        processor(
            "revokefail",
            "r1",
            Duration.ofSeconds(2),
            properties ->
                new FailingProducer(
                    new KafkaProducer<>(properties),
                    () ->
                        revoking("r1") && failed.compareAndSet(false, true)
                            ? new CoordinatorNotAvailableException("injected: coordinator moved")
                            : null));
    ExactlyOnceProcessor p2 =
        processor(
            "revokefail",
            "r2",
            Duration.ofSeconds(2),
            properties -> new KafkaProducer<>(properties));
    p1.start();
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> TopicReader.readCommitted(kafka.bootstrapServers(), "revokefail-out").size(),
              n -> n > 300);
      // A second instance joins: the group rebalances and p1 commits what it gives up, in a commit
      // that fails.
      p2.start();
      await().atMost(Duration.ofSeconds(60)).untilTrue(failed);
      awaitOutputs("revokefail-out", inputs.size(), p1);
      assertThat(p1.failure()).isEmpty();
      assertThat(p1.state()).isEqualTo(ComponentState.RUNNING);
      assertThat(p2.state()).isEqualTo(ComponentState.RUNNING);
    } finally {
      assertThat(p2.close(Duration.ofSeconds(30))).isTrue();
      assertThat(p1.close(Duration.ofSeconds(30))).isTrue();
    }
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "revokefail-out"))
        .assertExactlyOnce();
  }

  /** Whether the engine thread of {@code instance} is inside the revocation callback. */
  private static boolean revoking(String instance) {
    for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
      if (e.getKey().getName().endsWith("/" + instance)
          && Arrays.stream(e.getValue())
              .anyMatch(f -> f.getMethodName().equals("onPartitionsRevoked"))) {
        return true;
      }
    }
    return false;
  }

  private static void awaitOutputs(String topic, int count, ExactlyOnceProcessor p) {
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () ->
                p.state().isTerminal()
                    || TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic).size()
                        >= count);
  }

  private static ExactlyOnceProcessor processor(
      String name,
      String instance,
      Duration commitInterval,
      Function<Map<String, Object>, Producer<byte[], byte[]>> producers) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", KAFKA.broker().bootstrapServers());
    return ExactlyOnceProcessor.builder(props)
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .groupId(name)
        .instanceId(instance)
        // Long enough (revocation test) that a batch is open whenever the group rebalances.
        .commitInterval(commitInterval)
        .input(name + "-in", new StringDeserializer(), new ByteArrayDeserializer())
        .output(new StringSerializer(), new ByteArraySerializer())
        .process(
            (record, o) ->
                o.send(
                    name + "-out",
                    record.key(),
                    RecordCodec.encodeOutput(
                        RecordCodec.decodeInput(record.value()), instance + "-b" + o.batch())))
        .producerFactory(producers)
        .build();
  }
}
