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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On a real broker: when Kafka has forgotten the processor's producer (its id expired while idle),
 * the processor makes a new producer, initializes its transactions and redoes the batch, and every
 * input still takes effect exactly once.
 */
class ProcessorRecreateProducerTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void aForgottenProducerIsReplacedAndTheBatchRedoneExactlyOnce() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("forgot-in", 2);
    kafka.createTopic("forgot-in.dlt", 1);
    kafka.createTopic("forgot-out", 2);
    List<Input> inputs = InputGenerator.generate(400, 20, 11);
    InputGenerator.produce(kafka.bootstrapServers(), "forgot-in", inputs, 20, 0);

    AtomicInteger producers = new AtomicInteger();
    AtomicBoolean failNextCommit = new AtomicBoolean(true);
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    ExactlyOnceProcessor p =
        ExactlyOnceProcessor.builder(props)
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId("forgot")
            .instanceId("f1")
            .input("forgot-in", new StringDeserializer(), new ByteArrayDeserializer())
            .output(new StringSerializer(), new ByteArraySerializer())
            .process(
                (record, o) ->
                    o.send(
                        "forgot-out",
                        record.key(),
                        RecordCodec.encodeOutput(
                            RecordCodec.decodeInput(record.value()), "f1-b" + o.batch())))
            .producerFactory(
                properties -> {
                  producers.incrementAndGet();
                  return new FailingProducer(
                      new KafkaProducer<>(properties),
                      () ->
                          failNextCommit.getAndSet(false)
                              ? new UnknownProducerIdException("injected: producer id expired")
                              : null);
                })
            .build();
    p.start();
    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(300))
          .until(
              () -> TopicReader.readCommitted(kafka.bootstrapServers(), "forgot-out").size(),
              n -> n >= inputs.size());
      assertThat(p.state()).isEqualTo(ComponentState.RUNNING);
      assertThat(p.failure()).isEmpty();
      assertThat(producers).hasValue(2);
      assertThat(failNextCommit).isFalse();
    } finally {
      assertThat(p.close(Duration.ofSeconds(30))).isTrue();
    }
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "forgot-out"))
        .assertExactlyOnce();
  }
}
