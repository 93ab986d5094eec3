package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.FaultPoint;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.InputGenerator;
import dev.exactly.testkit.check.RecordCodec;
import dev.exactly.testkit.check.TopicEffects;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An instance SIGKILLed in the middle of its commit leaves its transaction, with the group's
 * offsets in it, pending until the transaction times out. The surviving instance, handed the dead
 * one's partitions, cannot learn their committed offsets before then; it waits for them without
 * failing, takes the partitions up once the coordinator has aborted the dead transaction, and every
 * input takes effect exactly once.
 */
class ProcessorPendingOffsetsTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void aSurvivorWaitsOutADeadInstancesPendingOffsets() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    String bootstrap = kafka.bootstrapServers();
    kafka.createTopic("pending-in", 4);
    kafka.createTopic("pending-in.dlt", 1);
    kafka.createTopic("pending-out", 4);
    List<Input> inputs = InputGenerator.generate(3000, 60, 29);
    Thread feed =
        new Thread(() -> InputGenerator.produce(bootstrap, "pending-in", inputs, 20, 200));

    ExactlyOnceProcessor survivor = survivor(bootstrap);
    survivor.start();
    try (ChildProcess doomed =
        ChildProcess.builder(ProcessorChild.class)
            .name("pending-b")
            .jvmArgs("-Xmx128m", "-XX:TieredStopAtLevel=1")
            .args(
                "bootstrap=" + bootstrap,
                "in=pending-in",
                "out=pending-out",
                "group=pending",
                "instance=b",
                "crash=" + FaultPoint.PROCESSOR_DURING_COMMIT.name(),
                "crashAt=5",
                "haltAtOnce=true",
                "sessionMs=6000",
                // Outlives the survivor's 5 s default.api.timeout.ms: the offsets b put into its
                // transaction stay pending while the survivor asks for them.
                "txnTimeoutMs=30000")
            .start()) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> survivor.state() == ComponentState.RUNNING);
      doomed.awaitOutput(": assigned [pending", Duration.ofSeconds(90));
      feed.start();
      assertThat(doomed.awaitExit(Duration.ofSeconds(90))).isEqualTo(ProcessorChild.HALTED);
      assertThat(doomed.outputText()).contains("HALT at PROCESSOR_DURING_COMMIT");
      feed.join();
      await()
          .atMost(Duration.ofSeconds(150))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  survivor.state().isTerminal()
                      || TopicReader.readCommitted(bootstrap, "pending-out").size()
                          >= inputs.size());
      assertThat(survivor.failure()).isEmpty();
      assertThat(survivor.state()).isEqualTo(ComponentState.RUNNING);
    } finally {
      assertThat(survivor.close(Duration.ofSeconds(30))).isTrue();
    }
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(bootstrap, "pending-out"))
        .assertExactlyOnce();
  }

  private static ExactlyOnceProcessor survivor(String bootstrap) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    props.put("session.timeout.ms", "6000");
    props.put("heartbeat.interval.ms", "1000");
    props.put("default.api.timeout.ms", "5000");
    props.put("request.timeout.ms", "5000");
    props.put(
        "partition.assignment.strategy",
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    return ExactlyOnceProcessor.builder(props)
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .groupId("pending")
        .instanceId("a")
        .input("pending-in", new StringDeserializer(), new ByteArrayDeserializer())
        .output(new StringSerializer(), new ByteArraySerializer())
        .process(
            (record, o) ->
                o.send(
                    "pending-out",
                    record.key(),
                    RecordCodec.encodeOutput(
                        RecordCodec.decodeInput(record.value()), "a-b" + o.batch())))
        .build();
  }
}
