package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.LogLines;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.InputGenerator;
import dev.exactly.testkit.check.RecordCodec;
import dev.exactly.testkit.check.TopicEffects;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A static member ({@code group.instance.id}) that the group fences once, as a coordinator that
 * moved with a killed broker can do to a member whose join it half-saw, rejoins and carries on
 * exactly once; one that another live member keeps fencing stops FENCED instead of trading the id
 * back and forth forever. The fence is real: a second consumer joins under the same instance id.
 */
class ProcessorGroupFenceTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration WAIT = Duration.ofSeconds(90);

  @Test
  void aMemberFencedOnceRejoinsAndStaysExactlyOnce() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("fence-in", 3);
    kafka.createTopic("fence-out", 3);
    List<Input> inputs = InputGenerator.generate(3000, 60, 5);
    try (LogLines log = LogLines.capture("fenced by the group");
        ExactlyOnceProcessor p = processor("fence-in", "fence-out", "fence", "p-1")) {
      p.start();
      InputGenerator.produce(kafka.bootstrapServers(), "fence-in", inputs.subList(0, 1500), 0, 0);
      awaitOutputs("fence-out", 1);

      intrude("fence", "fence-in", "p-1");

      InputGenerator.produce(
          kafka.bootstrapServers(), "fence-in", inputs.subList(1500, inputs.size()), 0, 0);
      awaitOutputs("fence-out", inputs.size());
      assertThat(log.matching())
          .as("the fenced member said it rejoins")
          .anyMatch(l -> l.contains("fenced by the group"));
      assertThat(p.state()).isEqualTo(ComponentState.RUNNING);
    }
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "fence-out"))
        .assertExactlyOnce();
  }

  @Test
  void aMemberThatAnotherLiveMemberKeepsFencingStopsFenced() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("twin-in", 1);
    kafka.createTopic("twin-out", 1);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger twinJoins = new AtomicInteger();
    try (ExactlyOnceProcessor p = processor("twin-in", "twin-out", "twin", "p-1")) {
      p.start();
      await().atMost(WAIT).until(() -> p.state() == ComponentState.RUNNING);
      // A second process started by mistake under the same instance id: whenever the group fences
      // it, it joins again, as an instance of ours would.
      Thread twin =
          new Thread(
              () -> {
                while (!stop.get()) {
                  try (KafkaConsumer<byte[], byte[]> c = consumer("twin", "p-1")) {
                    c.subscribe(List.of("twin-in"));
                    twinJoins.incrementAndGet();
                    while (!stop.get()) {
                      c.poll(Duration.ofMillis(200));
                    }
                  } catch (FencedInstanceIdException e) {
                    // fenced back by the processor: join again
                  }
                }
              });
      twin.start();
      try {
        await()
            .atMost(WAIT)
            .until(() -> p.state() == ComponentState.FENCED || p.state() == ComponentState.FAILED);
      } finally {
        stop.set(true);
        twin.join(30_000);
      }
      assertThat(p.state()).isEqualTo(ComponentState.FENCED);
      assertThat(p.failure()).containsInstanceOf(FencedInstanceIdException.class);
      assertThat(twinJoins.get())
          .as("the two traded the id before the processor gave up")
          .isGreaterThan(1);
    }
  }

  private static ExactlyOnceProcessor processor(
      String in, String out, String group, String instance) {
    return ExactlyOnceProcessor.builder(
            Map.<String, Object>of(
                "bootstrap.servers",
                KAFKA.broker().bootstrapServers(),
                ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
                instance,
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
                10_000))
        .createTopics(true)
        .groupId(group)
        .instanceId(instance)
        .commitInterval(Duration.ofMillis(100))
        .input(in, new StringDeserializer(), new ProcessorTest.InputDeserializer())
        .output(new StringSerializer(), new ByteArraySerializer())
        .process(
            (record, o) ->
                o.send(
                    out,
                    record.key(),
                    RecordCodec.encodeOutput(record.value(), instance + "-b" + o.batch())))
        .build();
  }

  /** Joins the group under {@code instance}, takes the assignment, and leaves without a word. */
  private static void intrude(String group, String topic, String instance) {
    try (KafkaConsumer<byte[], byte[]> c = consumer(group, instance)) {
      c.subscribe(List.of(topic));
      await()
          .atMost(WAIT)
          .until(
              () -> {
                c.poll(Duration.ofMillis(200));
                return !c.assignment().isEmpty();
              });
    }
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String group, String instance) {
    return new KafkaConsumer<>(
        Map.<String, Object>of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            KAFKA.broker().bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            group,
            ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
            instance,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
            10_000),
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  private static void awaitOutputs(String topic, int count) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic).size(),
            n -> n >= count);
  }
}
