package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.processor.ExactlyOnceProcessor;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The windows the pipelined commit opens: the engine polls and processes the next batch while the
 * previous batch commits on another thread. A commit is held in flight at {@link
 * FaultPoint#PROCESSOR_DURING_COMMIT} (its offsets already in the transaction) while the group
 * rebalances or while another instance fences this one; every input must still take effect exactly
 * once.
 */
class ProcessorPipelineTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration WAIT = Duration.ofSeconds(90);
  private final List<ExactlyOnceProcessor> started = new ArrayList<>();

  @AfterEach
  void closeProcessors() {
    started.forEach(p -> p.close(Duration.ofSeconds(10)));
  }

  private ExactlyOnceProcessor.Builder<String, Input, String, byte[]> copier(
      String group, String instance, String in, String out) {
    return copier(group, instance, in, out, Map.of());
  }

  private ExactlyOnceProcessor.Builder<String, Input, String, byte[]> copier(
      String group, String instance, String in, String out, Map<String, Object> extra) {
    Map<String, Object> props = new HashMap<>(extra);
    props.put("bootstrap.servers", KAFKA.broker().bootstrapServers());
    // The running instance hears of a rebalance within a fraction of the held commit.
    props.put("heartbeat.interval.ms", 200);
    return ExactlyOnceProcessor.builder(props)
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .groupId(group)
        .instanceId(instance)
        .input(in, new StringDeserializer(), new ProcessorTest.InputDeserializer())
        .output(new StringSerializer(), new ByteArraySerializer())
        .process(
            (record, o) ->
                o.send(
                    out,
                    record.key(),
                    RecordCodec.encodeOutput(record.value(), instance + "-b" + o.batch())));
  }

  private ExactlyOnceProcessor start(ExactlyOnceProcessor p) {
    started.add(p);
    p.start();
    return p;
  }

  /**
   * Holds the first commit after {@code arm} is set in flight until {@code release} is true (or 30
   * s pass), counting {@code holding} down when it starts holding.
   */
  private static FaultInjection holdOneCommit(
      AtomicBoolean arm, CountDownLatch holding, BooleanSupplier release) {
    return point -> {
      if (point != FaultPoint.PROCESSOR_DURING_COMMIT || !arm.compareAndSet(true, false)) {
        return;
      }
      holding.countDown();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!release.getAsBoolean() && System.nanoTime() < end) {
        sleep(Duration.ofMillis(20));
      }
    };
  }

  @Test
  void aRebalanceWhileACommitIsInFlightWaitsForItAndLosesNothing() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    String bootstrap = kafka.bootstrapServers();
    kafka.createTopic("pipe-rb-in", 4);
    kafka.createTopic("pipe-rb-out", 4);
    List<Input> inputs = InputGenerator.generate(6000, 40, 11);

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicBoolean arm = new AtomicBoolean();
    CountDownLatch holding = new CountDownLatch(1);
    AtomicBoolean revokedDuringHold = new AtomicBoolean();
    BooleanSupplier revoked = () -> registry.get("exactly.rebalances").counter().count() > 0;
    // Batches close at 1,000 records, never by time within the test: while the third batch's
    // commit is held, the engine processes the next records into a batch that is not yet due, so
    // it keeps polling, and the rebalance reaches it there.
    ExactlyOnceProcessor a =
        start(
            copier("pipe-rb", "a", "pipe-rb-in", "pipe-rb-out")
                .commitInterval(Duration.ofSeconds(15))
                .maxBatchRecords(1000)
                .meterRegistry(registry)
                .faults(
                    holdOneCommit(
                        arm,
                        holding,
                        () -> {
                          if (revoked.getAsBoolean()) {
                            // Let the revocation callback sit waiting on this commit a while.
                            sleep(Duration.ofMillis(500));
                            revokedDuringHold.set(true);
                            return true;
                          }
                          return false;
                        }))
                .build());
    InputGenerator.produce(bootstrap, "pipe-rb-in", inputs.subList(0, 2000), 20, 0);
    awaitCommitted(bootstrap, "pipe-rb-out", 2000);

    arm.set(true);
    InputGenerator.produce(bootstrap, "pipe-rb-in", inputs.subList(2000, 3300), 20, 0);
    assertThat(holding.await(60, TimeUnit.SECONDS)).as("a commit is held in flight").isTrue();
    await().atMost(WAIT).until(() -> registry.get("exactly.records.in").counter().count() >= 3300);
    ExactlyOnceProcessor b =
        start(
            copier("pipe-rb", "b", "pipe-rb-in", "pipe-rb-out")
                .commitInterval(Duration.ofSeconds(15))
                .maxBatchRecords(1000)
                .build());
    // More records now would fill a's open batch, and a full batch waits for the held commit
    // instead of polling: the rebalance would only reach a after the hold.
    await().atMost(WAIT).untilTrue(revokedDuringHold);
    InputGenerator.produce(bootstrap, "pipe-rb-in", inputs.subList(3300, inputs.size()), 20, 0);

    awaitCommitted(bootstrap, "pipe-rb-out", inputs.size());
    assertThat(a.state()).isEqualTo(ComponentState.RUNNING);
    assertThat(b.state()).isEqualTo(ComponentState.RUNNING);
    HangingTransactionCheck.assertSettled(bootstrap, "pipe-rb-out", WAIT);
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(bootstrap, "pipe-rb-out"))
        .assertExactlyOnce();
  }

  /**
   * A batch past its interval keeps taking in records while the commit before it is still running,
   * since it could not commit sooner anyway, but for one more interval at most: a slow commit must
   * not let one transaction swallow a backlog that a crash would then throw away. The commit before
   * is held for 5 s with a 1 s interval and a backlog waiting, so the next batch takes in records
   * for about 2 s: about 1 s if it waited at its interval, about 5 s if it grew for as long as the
   * hold. The function takes 1 ms a record, so the backlog lasts and the spans are its own, not the
   * producer's timing.
   */
  @Test
  void aBatchGrowsWhileTheCommitBeforeItRunsForOneMoreIntervalAtMost() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    String bootstrap = kafka.bootstrapServers();
    kafka.createTopic("pipe-grow-in", 1);
    kafka.createTopic("pipe-grow-out", 1);
    List<Input> inputs = InputGenerator.generate(4700, 20, 13);
    InputGenerator.produce(bootstrap, "pipe-grow-in", inputs.subList(0, 200), 20, 0);

    AtomicBoolean arm = new AtomicBoolean();
    CountDownLatch holding = new CountDownLatch(1);
    AtomicLong holdStart = new AtomicLong();
    BooleanSupplier fiveSecondsOn =
        () -> {
          long now = System.nanoTime();
          holdStart.compareAndSet(0, now);
          return now - holdStart.get() >= TimeUnit.SECONDS.toNanos(5);
        };
    // First and last time a record was processed, per batch, once measuring.
    AtomicBoolean measuring = new AtomicBoolean();
    Map<Long, long[]> spans = new ConcurrentHashMap<>();
    start(
        copier("pipe-grow", "g", "pipe-grow-in", "pipe-grow-out", Map.of("max.poll.records", 50))
            .commitInterval(Duration.ofSeconds(1))
            .maxBatchRecords(100_000)
            .faults(holdOneCommit(arm, holding, fiveSecondsOn))
            .process(
                (record, o) -> {
                  if (measuring.get()) {
                    long now = System.nanoTime();
                    spans.merge(
                        o.batch(), new long[] {now, now}, (a, b) -> new long[] {a[0], b[1]});
                    sleep(Duration.ofMillis(1));
                  }
                  o.send(
                      "pipe-grow-out",
                      record.key(),
                      RecordCodec.encodeOutput(record.value(), "g-b" + o.batch()));
                })
            .build());
    awaitCommitted(bootstrap, "pipe-grow-out", 200);

    measuring.set(true);
    arm.set(true);
    InputGenerator.produce(bootstrap, "pipe-grow-in", inputs.subList(200, inputs.size()), 20, 0);
    assertThat(holding.await(60, TimeUnit.SECONDS)).as("a commit was held in flight").isTrue();
    awaitCommitted(bootstrap, "pipe-grow-out", inputs.size());

    // The first batch measured is the one whose commit was held; the next one grew.
    long held = spans.keySet().stream().min(Long::compare).orElseThrow();
    long[] grown = spans.get(held + 1);
    assertThat(grown).as("the batch after the held one, of %s", spans.keySet()).isNotNull();
    assertThat(Duration.ofNanos(grown[1] - grown[0]))
        .as("how long the batch after the held commit took in records")
        .isBetween(Duration.ofMillis(1750), Duration.ofMillis(3500));
    HangingTransactionCheck.assertSettled(bootstrap, "pipe-grow-out", WAIT);
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(bootstrap, "pipe-grow-out"))
        .assertExactlyOnce();
  }

  private static TransactionDescription transaction(Admin admin) throws Exception {
    return admin
        .describeTransactions(List.of("pipe-fence-i1"))
        .description("pipe-fence-i1")
        .get(10, TimeUnit.SECONDS);
  }

  private static void awaitCommitted(String bootstrap, String topic, int count) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(300))
        .until(() -> TopicReader.readCommitted(bootstrap, topic).size() >= count);
  }

  @Test
  void anInstanceFencedWhileItsCommitIsInFlightStopsAndNothingDuplicates() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    String bootstrap = kafka.bootstrapServers();
    kafka.createTopic("pipe-fence-in", 2);
    kafka.createTopic("pipe-fence-out", 2);
    List<Input> inputs = InputGenerator.generate(4000, 20, 12);
    InputGenerator.produce(bootstrap, "pipe-fence-in", inputs.subList(0, 1000), 20, 0);

    AtomicBoolean arm = new AtomicBoolean();
    CountDownLatch holding = new CountDownLatch(1);
    AtomicBoolean release = new AtomicBoolean();
    ExactlyOnceProcessor first =
        start(
            copier("pipe-fence", "i1", "pipe-fence-in", "pipe-fence-out")
                .faults(holdOneCommit(arm, holding, release::get))
                .build());
    await()
        .atMost(WAIT)
        .until(() -> TopicReader.readCommitted(bootstrap, "pipe-fence-out").size() >= 1000);

    Thread producer =
        new Thread(
            () ->
                InputGenerator.produce(
                    bootstrap, "pipe-fence-in", inputs.subList(1000, inputs.size()), 20, 1000));
    producer.start();
    arm.set(true);
    assertThat(holding.await(60, TimeUnit.SECONDS)).as("a commit is held in flight").isTrue();
    ExactlyOnceProcessor second;
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      int heldEpoch = transaction(admin).producerEpoch();
      // Same instance id, so the same transactional.id: its initTransactions aborts the held
      // transaction and bumps the epoch under the first instance. (Its state is no witness: the
      // second takes the first's partitions at once and opens its own transaction.)
      second =
          start(
              copier("pipe-fence", "i1", "pipe-fence-in", "pipe-fence-out")
                  .process(
                      (record, o) ->
                          o.send(
                              "pipe-fence-out",
                              record.key(),
                              RecordCodec.encodeOutput(record.value(), "second-b" + o.batch())))
                  .build());
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> transaction(admin).producerEpoch() > heldEpoch);
    }
    release.set(true);

    await().atMost(WAIT).until(() -> first.state() == ComponentState.FENCED);
    producer.join();
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> TopicReader.readCommitted(bootstrap, "pipe-fence-out").size() >= inputs.size());
    assertThat(second.state()).isEqualTo(ComponentState.RUNNING);
    HangingTransactionCheck.assertSettled(bootstrap, "pipe-fence-out", WAIT);
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(bootstrap, "pipe-fence-out"))
        .assertExactlyOnce();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
