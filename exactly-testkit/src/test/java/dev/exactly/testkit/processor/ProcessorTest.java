package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.DeadLetterHeaders;
import dev.exactly.NonRetriableException;
import dev.exactly.RetryPolicy;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.Output;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.HangingTransactionCheck;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.InputGenerator;
import dev.exactly.testkit.check.RecordCodec;
import dev.exactly.testkit.check.TopicEffects;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The processor's behaviour on one real in-process broker. */
class ProcessorTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration WAIT = Duration.ofSeconds(90);
  private final List<ExactlyOnceProcessor> started = new ArrayList<>();

  @AfterEach
  void closeProcessors() {
    started.forEach(p -> p.close(Duration.ofSeconds(10)));
  }

  private static Map<String, Object> props() {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", KAFKA.broker().bootstrapServers());
    return p;
  }

  /** Decodes check inputs; fails on anything else, as a user's deserializer would. */
  static final class InputDeserializer implements Deserializer<Input> {
    @Override
    public Input deserialize(String topic, byte[] data) {
      try {
        return RecordCodec.decodeInput(data);
      } catch (RuntimeException e) {
        throw new SerializationException("not a check input", e);
      }
    }
  }

  private ExactlyOnceProcessor.Builder<String, Input, String, byte[]> copier(
      String group, String in, String out) {
    return copier(group, in, out, Map.of());
  }

  private ExactlyOnceProcessor.Builder<String, Input, String, byte[]> copier(
      String group, String in, String out, Map<String, Object> extra) {
    Map<String, Object> props = props();
    props.putAll(extra);
    return ExactlyOnceProcessor.builder(props)
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .groupId(group)
        .instanceId("i1")
        .input(in, new StringDeserializer(), new InputDeserializer())
        .output(new StringSerializer(), new ByteArraySerializer())
        .process(
            (record, o) ->
                o.send(
                    out,
                    record.key(),
                    RecordCodec.encodeOutput(record.value(), "i1-b" + o.batch())));
  }

  private ExactlyOnceProcessor start(ExactlyOnceProcessor p) {
    started.add(p);
    p.start();
    return p;
  }

  private static void awaitOutputs(String topic, int count) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic).size(),
            n -> n >= count);
  }

  @Test
  void buildRefusesSettingsThatContradictTheGuarantee() {
    Map<String, String> contradictions =
        Map.of(
            "enable.auto.commit", "true",
            "isolation.level", "read_uncommitted",
            "enable.idempotence", "false",
            "acks", "1",
            "transactional.id", "mine",
            "value.deserializer", StringDeserializer.class.getName());
    contradictions.forEach(
        (key, value) -> {
          Map<String, Object> p = props();
          p.put(key, value);
          assertThatThrownBy(
                  () ->
                      ExactlyOnceProcessor.builder(p)
                          // The test's dead-letter topics are created at start.
                          .createTopics(true)
                          .groupId("g")
                          .instanceId("i")
                          .input("in", new StringDeserializer(), new StringDeserializer())
                          .process((r, o) -> {})
                          .build())
              .isInstanceOf(ConfigurationException.class)
              .hasMessageContaining(key + "=" + value)
              .hasMessageContaining("remove the setting")
              .extracting(e -> ((ConfigurationException) e).key())
              .isEqualTo(key);
        });
    assertThatThrownBy(
            () ->
                ExactlyOnceProcessor.builder(props())
                    // The test's dead-letter topics are created at start.
                    .createTopics(true)
                    .groupId("g")
                    .input("in", new StringDeserializer(), new StringDeserializer())
                    .process((r, o) -> {})
                    .build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("processor.instanceId")
        .hasMessageContaining("call instanceId");
    Map<String, Object> agreeing = props();
    agreeing.put("acks", "-1");
    agreeing.put("isolation.level", "READ_COMMITTED");
    assertThat(
            ExactlyOnceProcessor.builder(agreeing)
                // The test's dead-letter topics are created at start.
                .createTopics(true)
                .groupId("g")
                .instanceId("i")
                .input("in", new StringDeserializer(), new StringDeserializer())
                .process((r, o) -> {})
                .build()
                .state())
        .isEqualTo(ComponentState.CREATED);
  }

  @Test
  void everyInputTakesEffectExactlyOnceInOrder() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("happy-in", 3);
    kafka.createTopic("happy-out", 3);
    List<Input> inputs = InputGenerator.generate(3000, 40, 1);
    InputGenerator.produce(kafka.bootstrapServers(), "happy-in", inputs, 20, 0);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    start(copier("happy", "happy-in", "happy-out").meterRegistry(registry).build());

    awaitOutputs("happy-out", inputs.size());
    HangingTransactionCheck.assertSettled(kafka.bootstrapServers(), "happy-out", WAIT);
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "happy-out"))
        .assertExactlyOnce();
    assertThat(registry.get("exactly.records.in").counter().count()).isEqualTo(3000);
    assertThat(registry.get("exactly.commits").counter().count()).isPositive();
    assertThat(registry.get("exactly.commit.latency").timer().count()).isPositive();
    assertThat(registry.get("exactly.commits").counter().getId().getDescription()).isNotBlank();
  }

  @Test
  void poisonRecordsGoToTheDeadLetterTopicOnceAndNeverBlockTheirPartition() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("poison-in", 2);
    kafka.createTopic("poison-out", 2);
    kafka.createTopic("poison-dlt", 1);
    List<Input> all = InputGenerator.generate(300, 10, 2);
    List<Input> good = new ArrayList<>();
    Set<String> alwaysFailing = ConcurrentHashMap.newKeySet();
    Set<String> nonRetriable = ConcurrentHashMap.newKeySet();
    int garbage = 0;
    try (KafkaProducer<String, byte[]> producer = plainProducer(kafka)) {
      for (int i = 0; i < all.size(); i++) {
        Input in = all.get(i);
        if (i % 30 == 7) {
          garbage++;
          producer.send(
              new ProducerRecord<>(
                  "poison-in", in.key(), ("garbage-" + i).getBytes(StandardCharsets.UTF_8)));
          continue;
        }
        if (i % 30 == 13) {
          alwaysFailing.add(in.id());
        } else if (i % 30 == 21) {
          nonRetriable.add(in.id());
        } else {
          good.add(
              new Input(
                  in.id(), in.key(), good.stream().filter(g -> g.key().equals(in.key())).count()));
        }
        producer.send(new ProducerRecord<>("poison-in", in.key(), RecordCodec.encodeInput(in, "")));
      }
    }
    Map<String, Integer> calls = new ConcurrentHashMap<>();
    start(
        copier("poison", "poison-in", "poison-out")
            .deadLetterTopic("poison-dlt")
            .retry(RetryPolicy.fixed(3, Duration.ofMillis(20)))
            .process(
                (record, o) -> {
                  Input in = record.value();
                  calls.merge(in.id(), 1, Integer::sum);
                  if (alwaysFailing.contains(in.id())) {
                    throw new IllegalStateException("downstream refuses " + in.id());
                  }
                  if (nonRetriable.contains(in.id())) {
                    throw new NonRetriableException("invalid " + in.id());
                  }
                  o.send(
                      "poison-out",
                      record.key(),
                      RecordCodec.encodeOutput(
                          new Input(in.id(), in.key(), seqOf(good, in.id())), "i1-b" + o.batch()));
                })
            .build());

    int dead = garbage + alwaysFailing.size() + nonRetriable.size();
    awaitOutputs("poison-dlt", dead);
    awaitOutputs("poison-out", good.size());
    HangingTransactionCheck.assertSettled(kafka.bootstrapServers(), "poison-out", WAIT);
    new ExactlyOnceChecker(good)
        .check(new TopicEffects(kafka.bootstrapServers(), "poison-out"))
        .assertExactlyOnce();
    List<ConsumerRecord<byte[], byte[]>> dlt =
        TopicReader.readCommitted(kafka.bootstrapServers(), "poison-dlt");
    assertThat(dlt).hasSize(dead);
    Map<String, Integer> reasons = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : dlt) {
      String reason = header(r, DeadLetterHeaders.REASON);
      reasons.merge(reason, 1, Integer::sum);
      assertThat(header(r, DeadLetterHeaders.TOPIC)).isEqualTo("poison-in");
      assertThat(header(r, DeadLetterHeaders.PARTITION)).matches("[01]");
      assertThat(header(r, DeadLetterHeaders.OFFSET)).matches("\\d+");
      assertThat(header(r, DeadLetterHeaders.TIMESTAMP)).matches("\\d+");
      String value = new String(r.value(), StandardCharsets.UTF_8);
      switch (reason) {
        case "deserialization" -> {
          assertThat(value).startsWith("garbage-");
          assertThat(header(r, DeadLetterHeaders.EXCEPTION_CLASS))
              .isEqualTo(SerializationException.class.getName());
          assertThat(header(r, DeadLetterHeaders.ATTEMPTS)).isEqualTo("1");
        }
        case "retries-exhausted" -> {
          String id = RecordCodec.decodeInput(r.value()).id();
          assertThat(alwaysFailing).contains(id);
          assertThat(header(r, DeadLetterHeaders.EXCEPTION_CLASS))
              .isEqualTo(IllegalStateException.class.getName());
          assertThat(header(r, DeadLetterHeaders.EXCEPTION_MESSAGE))
              .isEqualTo("downstream refuses " + id);
          assertThat(header(r, DeadLetterHeaders.ATTEMPTS)).isEqualTo("3");
        }
        case "non-retriable" -> {
          assertThat(nonRetriable).contains(RecordCodec.decodeInput(r.value()).id());
          assertThat(header(r, DeadLetterHeaders.ATTEMPTS)).isEqualTo("1");
          assertThat(header(r, DeadLetterHeaders.EXCEPTION_CLASS))
              .isEqualTo(NonRetriableException.class.getName());
        }
        default -> throw new AssertionError("unexpected reason " + reason);
      }
    }
    assertThat(reasons)
        .containsEntry("deserialization", garbage)
        .containsEntry("retries-exhausted", alwaysFailing.size())
        .containsEntry("non-retriable", nonRetriable.size());
    alwaysFailing.forEach(id -> assertThat(calls.get(id)).isEqualTo(3));
  }

  private static long seqOf(List<Input> good, String id) {
    return good.stream().filter(g -> g.id().equals(id)).findFirst().map(Input::sequence).orElse(0L);
  }

  @Test
  void transientFailureIsRetriedInPlaceWithoutAbortOrDuplicates() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("transient-in", 3);
    kafka.createTopic("transient-out", 3);
    List<Input> inputs = InputGenerator.generate(2000, 30, 3);
    InputGenerator.produce(kafka.bootstrapServers(), "transient-in", inputs, 10, 0);
    Set<String> failedOnce = ConcurrentHashMap.newKeySet();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    start(
        copier("transient", "transient-in", "transient-out")
            .meterRegistry(registry)
            .retry(RetryPolicy.fixed(3, Duration.ofMillis(10)))
            .process(
                (record, o) -> {
                  Input in = record.value();
                  // Outputs sent before the failure belong to the failed attempt: discarded.
                  o.send(
                      "transient-out",
                      record.key(),
                      RecordCodec.encodeOutput(in, "i1-b" + o.batch()));
                  if (in.sequence() % 17 == 5 && failedOnce.add(in.id())) {
                    throw new IllegalStateException("flaky downstream for " + in.id());
                  }
                })
            .build());

    awaitOutputs("transient-out", inputs.size());
    HangingTransactionCheck.assertSettled(kafka.bootstrapServers(), "transient-out", WAIT);
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "transient-out"))
        .assertExactlyOnce();
    assertThat(failedOnce).isNotEmpty();
    assertThat(registry.get("exactly.aborts").counter().count())
        .as("a failure of the function is retried in place, never by aborting the batch")
        .isZero();
    assertThat(TopicReader.readUncommitted(kafka.bootstrapServers(), "transient-out"))
        .as("no aborted outputs in the log")
        .hasSize(inputs.size());
    assertThat(TopicReader.readCommitted(kafka.bootstrapServers(), "transient-in.dlt"))
        .as("a record that succeeds on retry is not a dead letter")
        .isEmpty();
  }

  @Test
  void closeFinishesTheBatchWithinTheTimeout() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("close-in", 2);
    kafka.createTopic("close-out", 2);
    List<Input> inputs = InputGenerator.generate(500, 5, 4);
    InputGenerator.produce(kafka.bootstrapServers(), "close-in", inputs, 10, 0);
    ExactlyOnceProcessor p =
        start(
            copier("close", "close-in", "close-out", Map.of("transaction.timeout.ms", "900000"))
                .commitInterval(Duration.ofMinutes(10))
                .build());
    await()
        .atMost(WAIT)
        .until(() -> !TopicReader.readUncommitted(kafka.bootstrapServers(), "close-out").isEmpty());

    long start = System.nanoTime();
    assertThat(p.close(Duration.ofSeconds(15))).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    assertThat(p.state()).isEqualTo(ComponentState.CLOSED);
    // The ten-minute batch was committed by close(), not left open.
    assertThat(TopicReader.readCommitted(kafka.bootstrapServers(), "close-out")).hasSize(500);
    assertThat(p.close(Duration.ofSeconds(1))).as("close is idempotent").isTrue();
    assertThatThrownBy(p::start).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aSecondInstanceWithTheSameIdFencesTheFirst() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("fence-in", 2);
    kafka.createTopic("fence-out", 2);
    List<Input> inputs = InputGenerator.generate(4000, 20, 5);
    InputGenerator.produce(kafka.bootstrapServers(), "fence-in", inputs.subList(0, 1000), 10, 0);
    ExactlyOnceProcessor first = start(copier("fence", "fence-in", "fence-out").build());
    awaitOutputs("fence-out", 1000);

    // Same instance id, hence same transactional.id: initTransactions fences the first.
    ExactlyOnceProcessor second =
        start(
            copier("fence", "fence-in", "fence-out")
                .process(
                    (record, o) ->
                        o.send(
                            "fence-out",
                            record.key(),
                            RecordCodec.encodeOutput(record.value(), "second-b" + o.batch())))
                .build());
    InputGenerator.produce(
        kafka.bootstrapServers(), "fence-in", inputs.subList(1000, inputs.size()), 10, 2000);
    await().atMost(WAIT).until(() -> first.state() == ComponentState.FENCED);
    assertThat(first.failure()).isPresent();
    awaitOutputs("fence-out", inputs.size());
    assertThat(second.state()).isEqualTo(ComponentState.RUNNING);
    HangingTransactionCheck.assertSettled(kafka.bootstrapServers(), "fence-out", WAIT);
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "fence-out"))
        .assertExactlyOnce();
  }

  @Test
  void anErrorFromTheFunctionStopsTheProcessorInFailedWithTheCause() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("error-in", 1);
    kafka.createTopic("error-out", 1);
    InputGenerator.produce(
        kafka.bootstrapServers(), "error-in", InputGenerator.generate(10, 2, 6), 10, 0);
    ExactlyOnceProcessor p =
        start(
            copier("error", "error-in", "error-out")
                .process(
                    (record, o) -> {
                      throw new StackOverflowError("user bug");
                    })
                .build());

    await().atMost(WAIT).until(() -> p.state() == ComponentState.FAILED);
    assertThat(p.failure()).get().isInstanceOf(StackOverflowError.class);
    assertThat(TopicReader.readCommitted(kafka.bootstrapServers(), "error-out")).isEmpty();
  }

  @Test
  void anOutputUsedAfterItsCallReturnedRefusesTheSend() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("late-in", 1);
    kafka.createTopic("late-out", 1);
    InputGenerator.produce(
        kafka.bootstrapServers(), "late-in", InputGenerator.generate(10, 2, 7), 10, 0);
    AtomicReference<Output<String, byte[]>> kept = new AtomicReference<>();
    ExactlyOnceProcessor p =
        start(
            copier("late", "late-in", "late-out")
                .process(
                    (record, o) -> {
                      kept.set(o);
                      o.send("late-out", record.key(), new byte[] {1});
                    })
                .build());
    awaitOutputs("late-out", 10);

    // Sent after its call, the output would have been lost without a word before.
    assertThatThrownBy(() -> kept.get().send("late-out", "k", new byte[] {2}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("outside the process call");
    assertThat(p.state()).isEqualTo(ComponentState.RUNNING);
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    var h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static KafkaProducer<String, byte[]> plainProducer(EmbeddedKafka kafka) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
  }
}
