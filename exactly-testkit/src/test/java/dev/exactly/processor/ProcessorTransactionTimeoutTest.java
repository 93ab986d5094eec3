package dev.exactly.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.testkit.EmbeddedKafka;
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
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On a real broker that aborts timed-out transactions within a fraction of a second: a batch that
 * outlasts {@code transaction.timeout.ms} has its transaction aborted and the producer's epoch
 * bumped by the coordinator. That is not another instance: the processor makes a new producer,
 * rewinds and carries on, and every input takes effect exactly once. A second producer with the
 * same transactional id still fences it.
 */
class ProcessorTransactionTimeoutTest {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka =
        EmbeddedKafka.builder()
            // The coordinator looks for timed-out transactions every 200 ms instead of 10 s.
            .brokerProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "200")
            .start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Test
  void aBatchThatOutlastsTheTransactionTimeoutIsRedoneWithANewProducer() {
    kafka.createTopic("txntimeout-in", 2);
    kafka.createTopic("txntimeout-in.dlt", 1);
    kafka.createTopic("txntimeout-out", 2);
    List<Input> inputs = InputGenerator.generate(400, 20, 19);
    InputGenerator.produce(kafka.bootstrapServers(), "txntimeout-in", inputs, 20, 0);

    AtomicInteger processed = new AtomicInteger();
    AtomicBoolean stalled = new AtomicBoolean();
    ExactlyOnceProcessor p =
        processor(
            "txntimeout",
            "s1",
            () -> {
              // One call outlasts the 1 s transaction timeout, the coordinator aborts meanwhile.
              if (processed.incrementAndGet() == 50 && stalled.compareAndSet(false, true)) {
                sleep(Duration.ofMillis(3000));
              }
            });
    p.start();
    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(300))
          .until(
              () ->
                  p.state().isTerminal()
                      || TopicReader.readCommitted(kafka.bootstrapServers(), "txntimeout-out")
                              .size()
                          >= inputs.size());
      assertThat(p.failure()).isEmpty();
      assertThat(p.state()).isEqualTo(ComponentState.RUNNING);
      assertThat(stalled).isTrue();
      assertThat(
              ((ProcessorEngine<?, ?, ?, ?>) p)
                  .meterRegistry()
                  .get("exactly.transaction.timeouts")
                  .counter()
                  .count())
          .isGreaterThanOrEqualTo(1.0);
    } finally {
      assertThat(p.close(Duration.ofSeconds(30))).isTrue();
    }
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "txntimeout-out"))
        .assertExactlyOnce();
  }

  @Test
  void aCommitThatOutlastsTheTransactionTimeoutIsRedoneWithANewProducer() {
    kafka.createTopic("committimeout-in", 2);
    kafka.createTopic("committimeout-in.dlt", 1);
    kafka.createTopic("committimeout-out", 2);
    List<Input> inputs = InputGenerator.generate(400, 20, 31);
    InputGenerator.produce(kafka.bootstrapServers(), "committimeout-in", inputs, 20, 0);
    AtomicInteger commits = new AtomicInteger();
    // The third commit stalls after its offsets went into the transaction and before
    // commitTransaction: the coordinator aborts meanwhile, and the commit finds it aborted.
    FaultInjection stallThirdCommit =
        point -> {
          if (point == FaultPoint.PROCESSOR_DURING_COMMIT && commits.incrementAndGet() == 3) {
            sleep(Duration.ofMillis(3000));
          }
        };
    ExactlyOnceProcessor p = processor("committimeout", "c1", () -> {}, stallThirdCommit);
    p.start();
    try {
      awaitAll(p, "committimeout-out", inputs.size());
      assertThat(p.failure()).isEmpty();
      assertThat(p.state()).isEqualTo(ComponentState.RUNNING);
      assertThat(commits.get()).isGreaterThan(3);
      assertThat(timeouts(p)).isGreaterThanOrEqualTo(1.0);
    } finally {
      assertThat(p.close(Duration.ofSeconds(30))).isTrue();
    }
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "committimeout-out"))
        .assertExactlyOnce();
  }

  @Test
  void anotherProducerWithTheSameTransactionalIdStillFences() {
    kafka.createTopic("txnfence-in", 2);
    kafka.createTopic("txnfence-in.dlt", 1);
    kafka.createTopic("txnfence-out", 2);
    List<Input> inputs = InputGenerator.generate(200, 20, 23);
    InputGenerator.produce(kafka.bootstrapServers(), "txnfence-in", inputs, 20, 0);
    AtomicBoolean holdOn = new AtomicBoolean(true);
    ExactlyOnceProcessor p =
        processor(
            "txnfence",
            "f1",
            () -> {
              // Keeps a transaction open (well inside the timeout) while the other producer starts.
              if (holdOn.get()) {
                sleep(Duration.ofMillis(20));
              }
            });
    p.start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> p.state() == ComponentState.RUNNING);
      Map<String, Object> props = new HashMap<>();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "txnfence-f1");
      try (KafkaProducer<byte[], byte[]> other =
          new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
        other.initTransactions();
        holdOn.set(false);
        await().atMost(Duration.ofSeconds(60)).until(() -> p.state() == ComponentState.FENCED);
      }
    } finally {
      p.close(Duration.ofSeconds(30));
    }
  }

  private static double timeouts(ExactlyOnceProcessor p) {
    return ((ProcessorEngine<?, ?, ?, ?>) p)
        .meterRegistry()
        .get("exactly.transaction.timeouts")
        .counter()
        .count();
  }

  private static void awaitAll(ExactlyOnceProcessor p, String topic, int count) {
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () ->
                p.state().isTerminal()
                    || TopicReader.readCommitted(kafka.bootstrapServers(), topic).size() >= count);
  }

  private static ExactlyOnceProcessor processor(String name, String instance, Runnable before) {
    return processor(name, instance, before, FaultInjection.NONE);
  }

  private static ExactlyOnceProcessor processor(
      String name, String instance, Runnable before, FaultInjection faults) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put("transaction.timeout.ms", "1000");
    return ExactlyOnceProcessor.builder(props)
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .groupId(name)
        .instanceId(instance)
        .faults(faults)
        // Several batches, so that the third commit comes.
        .maxBatchRecords(50)
        .input(name + "-in", new StringDeserializer(), new ByteArrayDeserializer())
        .output(new StringSerializer(), new ByteArraySerializer())
        .process(
            (record, o) -> {
              before.run();
              o.send(
                  name + "-out",
                  record.key(),
                  RecordCodec.encodeOutput(
                      RecordCodec.decodeInput(record.value()), instance + "-b" + o.batch()));
            })
        .build();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
