package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.NonRetriableException;
import dev.exactly.Ordering;
import dev.exactly.RetryPolicy;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.RecordProcessor;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.InputGenerator;
import dev.exactly.testkit.check.RecordCodec;
import dev.exactly.testkit.check.TopicEffects;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The processor with {@code concurrency(n)}: a slow function runs for several keys at once, never
 * twice at once for one key, and every input still lands exactly once and in order per key; a
 * record waiting out a retry holds up only its own key; a poison record is dead-lettered.
 */
class ProcessorConcurrencyTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration WAIT = Duration.ofSeconds(120);

  @Test
  void aSlowFunctionRunsForManyKeysAtOnceAndOneKeyAtATime() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("conc-in", 6);
    kafka.createTopic("conc-out", 6);
    List<Input> inputs = InputGenerator.generate(3000, 200, 21);
    InputGenerator.produce(kafka.bootstrapServers(), "conc-in", inputs, 0, 0);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    Set<String> keysRunning = ConcurrentHashMap.newKeySet();
    List<String> sameKeyAtOnce = new CopyOnWriteArrayList<>();
    RecordProcessor<String, Input, String, byte[]> slow =
        (record, o) -> {
          if (!keysRunning.add(record.key())) {
            sameKeyAtOnce.add(record.key());
          }
          mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
          try {
            Thread.sleep(5); // a remote call
            o.send("conc-out", record.key(), RecordCodec.encodeOutput(record.value(), "c"));
          } finally {
            running.decrementAndGet();
            keysRunning.remove(record.key());
          }
        };
    try (ExactlyOnceProcessor p =
        processor("conc-in", "conc").concurrency(16).process(slow).build()) {
      p.start();
      awaitOutputs("conc-out", inputs.size());
    }
    assertThat(sameKeyAtOnce).as("one key's records ran at once").isEmpty();
    assertThat(mostAtOnce.get()).as("records that ran at once").isBetween(2, 16);
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "conc-out"))
        .assertExactlyOnce();
  }

  @Test
  void aRecordWaitingOutARetryHoldsUpOnlyItsKeyAndAPoisonRecordIsDeadLettered() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("retry-in", 1);
    kafka.createTopic("retry-out", 1);
    List<Input> inputs = InputGenerator.generate(400, 40, 22);
    String slowKey = inputs.get(0).key();
    String poisonKey =
        inputs.stream().map(Input::key).filter(k -> !k.equals(slowKey)).findFirst().orElseThrow();
    String poisonId =
        inputs.stream().filter(i -> i.key().equals(poisonKey)).findFirst().orElseThrow().id();
    InputGenerator.produce(kafka.bootstrapServers(), "retry-in", inputs, 0, 0);
    AtomicInteger slowAttempts = new AtomicInteger();
    List<String> othersDoneDuringBackoff = new CopyOnWriteArrayList<>();
    AtomicLong backoffEnds = new AtomicLong(Long.MAX_VALUE);
    RecordProcessor<String, Input, String, byte[]> flaky =
        (record, o) -> {
          if (record.value().id().equals(poisonId)) {
            throw new NonRetriableException("poison " + poisonId);
          }
          if (record.key().equals(slowKey) && slowAttempts.getAndIncrement() == 0) {
            backoffEnds.set(System.nanoTime() + Duration.ofSeconds(2).toNanos());
            throw new IllegalStateException("the remote service hiccuped");
          }
          if (!record.key().equals(slowKey) && System.nanoTime() < backoffEnds.get()) {
            othersDoneDuringBackoff.add(record.value().id());
          }
          o.send("retry-out", record.key(), RecordCodec.encodeOutput(record.value(), "r"));
        };
    try (ExactlyOnceProcessor p =
        processor("retry-in", "retry")
            .concurrency(8)
            .ordering(Ordering.KEY)
            .retry(RetryPolicy.fixed(3, Duration.ofSeconds(2)))
            .deadLetterTopic("retry-dlt")
            .process(flaky)
            .build()) {
      p.start();
      awaitOutputs("retry-out", inputs.size() - 1);
    }
    assertThat(slowAttempts.get()).as("the hiccup was retried").isGreaterThanOrEqualTo(2);
    assertThat(othersDoneDuringBackoff.size())
        .as("other keys' records done while the slow key waited out its backoff")
        .isGreaterThan(100);
    List<ConsumerRecord<byte[], byte[]>> dead =
        TopicReader.readCommitted(kafka.bootstrapServers(), "retry-dlt");
    assertThat(dead).hasSize(1);
    assertThat(
            new String(
                dead.get(0).headers().lastHeader(DeadLetterHeaders.REASON).value(),
                StandardCharsets.UTF_8))
        .isEqualTo("non-retriable");
    List<Input> delivered = inputs.stream().filter(i -> !i.id().equals(poisonId)).toList();
    new ExactlyOnceChecker(delivered)
        .check(new TopicEffects(kafka.bootstrapServers(), "retry-out"))
        .assertExactlyOnce();
  }

  @Test
  void aUsersExecutorRunsTheFunctionAndStaysOpenAfterTheClose() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("exec-in", 3);
    kafka.createTopic("exec-out", 3);
    List<Input> inputs = InputGenerator.generate(500, 50, 23);
    InputGenerator.produce(kafka.bootstrapServers(), "exec-in", inputs, 0, 0);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    ExecutorService mine =
        Executors.newFixedThreadPool(4, r -> new Thread(r, "users-own-" + r.hashCode()));
    try (ExactlyOnceProcessor p =
        processor("exec-in", "exec")
            .concurrency(4)
            .ordering(Ordering.PARTITION)
            .executor(mine)
            .process(
                (record, o) -> {
                  threads.add(Thread.currentThread().getName());
                  o.send("exec-out", record.key(), RecordCodec.encodeOutput(record.value(), "e"));
                })
            .build()) {
      p.start();
      awaitOutputs("exec-out", inputs.size());
    } finally {
      assertThat(mine.isShutdown()).as("the user's executor is the user's to shut down").isFalse();
      mine.shutdownNow();
    }
    assertThat(threads).allMatch(t -> t.startsWith("users-own-"));
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(kafka.bootstrapServers(), "exec-out"))
        .assertExactlyOnce();
  }

  private static ExactlyOnceProcessor.Builder<String, Input, String, byte[]> processor(
      String in, String group) {
    return ExactlyOnceProcessor.builder(
            Map.<String, Object>of("bootstrap.servers", KAFKA.broker().bootstrapServers()))
        .createTopics(true)
        .groupId(group)
        .instanceId("c1")
        .input(in, new StringDeserializer(), new ProcessorTest.InputDeserializer())
        .output(new StringSerializer(), new ByteArraySerializer());
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
