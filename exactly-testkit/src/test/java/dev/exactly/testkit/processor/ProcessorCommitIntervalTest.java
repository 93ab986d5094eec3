package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.InputGenerator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The commit interval is measured on the injected ticker, so a test moves it without sleeping. */
class ProcessorCommitIntervalTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void theBatchCommitsWhenTheFakeClockPassesTheIntervalNotBefore() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("tick-in", 1);
    kafka.createTopic("tick-in.dlt", 1);
    kafka.createTopic("tick-out", 1);
    InputGenerator.produce(
        kafka.bootstrapServers(), "tick-in", InputGenerator.generate(20, 5, 3), 20, 0);
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    Duration interval = Duration.ofMinutes(10);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicInteger processed = new AtomicInteger();
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    // Above the ten-minute commit interval, as build() requires (the broker allows up to 15 min).
    props.put("transaction.timeout.ms", "900000");
    ExactlyOnceProcessor p =
        ExactlyOnceProcessor.builder(props)
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId("tick")
            .instanceId("t1")
            .input("tick-in", new StringDeserializer(), new ByteArrayDeserializer())
            .commitInterval(interval)
            .ticker(clock)
            .meterRegistry(registry)
            .process(
                (record, o) -> {
                  o.send("tick-out", null, record.value());
                  processed.incrementAndGet();
                })
            .build();
    p.start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> processed.get() == 20);
      // Real time goes by, fake time does not: the batch stays open.
      await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(5))
          .until(() -> registry.get("exactly.commits").counter().count() == 0);
      assertThat(TopicReader.readCommitted(kafka.bootstrapServers(), "tick-out")).isEmpty();

      clock.advance(interval);
      // Ten real minutes are far off: only the fake clock can have ended the interval.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> registry.get("exactly.commits").counter().count() >= 1);
      assertThat(TopicReader.readCommitted(kafka.bootstrapServers(), "tick-out")).hasSize(20);
    } finally {
      assertThat(p.close(Duration.ofSeconds(30))).isTrue();
    }
  }
}
