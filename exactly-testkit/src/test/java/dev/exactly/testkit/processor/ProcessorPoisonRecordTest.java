package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.DeadLetterReason;
import dev.exactly.RetryPolicy;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.Guarantee;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.TopicReader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A failing record is retried in place, its failed attempts' outputs discarded, and dead-lettered
 * in the batch it belongs to: neither a record that fails and then succeeds nor one that always
 * fails aborts the batch around it, so the other records of a large batch are processed once.
 */
class ProcessorPoisonRecordTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Duration INTERVAL = Duration.ofMinutes(1);
  private static final Duration BACKOFF = Duration.ofSeconds(1);
  private static final int RECORDS = 1000;
  private static final int FLAKY = 400;
  private static final int POISON = 600;

  /** What a user's JSON parser throws: not a Kafka exception, and not marked non-retriable. */
  static final class JsonParseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    JsonParseException(String message) {
      super(message);
    }
  }

  @ParameterizedTest
  @EnumSource(Guarantee.class)
  void aFailingRecordIsRetriedInPlaceAndDeadLetteredWithoutAbortingItsBatch(Guarantee guarantee)
      throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    String bootstrap = kafka.bootstrapServers();
    String in = "poison-" + guarantee.name().toLowerCase().replace('_', '-');
    String out = in + "-out";
    String dlt = in + ".dlt";
    kafka.createTopic(in, 1);
    kafka.createTopic(out, 1);
    kafka.createTopic(dlt, 1);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            new StringSerializer(),
            new StringSerializer())) {
      for (int i = 0; i < RECORDS; i++) {
        producer.send(new ProducerRecord<>(in, 0, "k" + i, "v" + i));
      }
      producer.flush();
    }

    FakeClock clock = new FakeClock(Instant.now());
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    List<Long> flakyCalledAt = new CopyOnWriteArrayList<>();
    CountDownLatch lastCalled = new CountDownLatch(1);
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    props.put("transaction.timeout.ms", "300000"); // above the one-minute commit interval
    ExactlyOnceProcessor p =
        ExactlyOnceProcessor.builder(props)
            .groupId(in)
            .instanceId(in + "-1")
            .guarantee(guarantee)
            .input(in, new StringDeserializer(), new StringDeserializer())
            .output(new StringSerializer(), new StringSerializer())
            .commitInterval(INTERVAL)
            .ticker(clock)
            .meterRegistry(registry)
            .retry(RetryPolicy.fixed(3, BACKOFF))
            .process(
                (record, o) -> {
                  int n =
                      calls
                          .computeIfAbsent(record.key(), k -> new AtomicInteger())
                          .incrementAndGet();
                  if (record.key().equals("k" + FLAKY)) {
                    flakyCalledAt.add(clock.nanoTime());
                    o.send(out, record.key(), "out-" + record.value() + " attempt " + n);
                    if (n < 3) {
                      throw new IllegalStateException("downstream busy, attempt " + n);
                    }
                  } else if (record.key().equals("k" + POISON)) {
                    o.send(out, record.key(), "out-" + record.value() + " attempt " + n);
                    throw new JsonParseException("Unexpected character ('}' (code 125))");
                  } else {
                    o.send(out, record.key(), "out-" + record.value());
                  }
                  if (record.key().equals("k" + (RECORDS - 1))) {
                    lastCalled.countDown();
                  }
                })
            .build();

    // Moves fake time over each backoff the engine waits, and nothing more: the batch's one-minute
    // interval is far off until the test moves it on.
    Thread driver =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                if (clock.sleepers() > 0) {
                  clock.advance(BACKOFF);
                }
                try {
                  Thread.sleep(5);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "backoff-driver");
    driver.setDaemon(true);
    p.start();
    driver.start();
    try {
      assertThat(lastCalled.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      driver.interrupt();
      driver.join();
      clock.advance(INTERVAL);
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(300))
          .until(() -> TopicReader.readCommitted(bootstrap, dlt).size(), n -> n >= 1);
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(300))
          .until(() -> TopicReader.readCommitted(bootstrap, out).size(), n -> n >= RECORDS - 1);
    } finally {
      driver.interrupt();
      assertThat(p.close(Duration.ofSeconds(30))).isTrue();
    }

    assertThat(registry.get("exactly.aborts").counter().count())
        .as("batches aborted (exactly.aborts)")
        .isZero();
    Set<String> calledMoreThanOnce = ConcurrentHashMap.newKeySet();
    calls.forEach(
        (k, n) -> {
          if (n.get() != 1) {
            calledMoreThanOnce.add(k + "=" + n.get());
          }
        });
    assertThat(calledMoreThanOnce)
        .as("records whose function ran more than once")
        .containsExactlyInAnyOrder("k" + FLAKY + "=3", "k" + POISON + "=3");
    assertThat(calls).hasSize(RECORDS);
    // Each retry waited its backoff on the ticker.
    assertThat(flakyCalledAt).hasSize(3);
    for (int i = 1; i < flakyCalledAt.size(); i++) {
      assertThat(flakyCalledAt.get(i) - flakyCalledAt.get(i - 1))
          .isGreaterThanOrEqualTo(BACKOFF.toNanos());
    }

    List<String> expected = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      if (i == FLAKY) {
        expected.add("out-v" + i + " attempt 3");
      } else if (i != POISON) {
        expected.add("out-v" + i);
      }
    }
    // An aborted transaction leaves its records in the log, where read_uncommitted sees them.
    assertThat(values(TopicReader.readUncommitted(bootstrap, out)))
        .as("every output in the log, aborted ones included")
        .containsExactlyElementsOf(expected);
    assertThat(values(TopicReader.readCommitted(bootstrap, out)))
        .as("committed outputs")
        .containsExactlyElementsOf(expected);

    assertThat(TopicReader.readUncommitted(bootstrap, dlt)).hasSize(1);
    List<ConsumerRecord<byte[], byte[]>> letters = TopicReader.readCommitted(bootstrap, dlt);
    assertThat(letters).hasSize(1);
    ConsumerRecord<byte[], byte[]> letter = letters.get(0);
    assertThat(string(letter.key())).isEqualTo("k" + POISON);
    assertThat(string(letter.value())).isEqualTo("v" + POISON);
    assertThat(header(letter, DeadLetterHeaders.REASON))
        .isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED.code());
    assertThat(header(letter, DeadLetterHeaders.ATTEMPTS)).isEqualTo("3");
    assertThat(header(letter, DeadLetterHeaders.EXCEPTION_CLASS))
        .isEqualTo(JsonParseException.class.getName());
    assertThat(header(letter, DeadLetterHeaders.EXCEPTION_MESSAGE))
        .isEqualTo("Unexpected character ('}' (code 125))");
    assertThat(header(letter, DeadLetterHeaders.TOPIC)).isEqualTo(in);
    assertThat(header(letter, DeadLetterHeaders.PARTITION)).isEqualTo("0");
    assertThat(header(letter, DeadLetterHeaders.OFFSET)).isEqualTo(Integer.toString(POISON));
    assertThat(registry.get("exactly.dead.letters").counter().count()).isEqualTo(1.0);
  }

  /**
   * Closing while a record waits out its backoff commits the records before it and nothing after
   * it: neither the waiting record nor the rest of its poll may be skipped. The next owner starts
   * at the waiting record.
   */
  @ParameterizedTest
  @EnumSource(Guarantee.class)
  void closeDuringABackoffCommitsTheRecordsBeforeAndSkipsNone(Guarantee guarantee)
      throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    String bootstrap = kafka.bootstrapServers();
    String in = "backoff-close-" + guarantee.name().toLowerCase().replace('_', '-');
    String out = in + "-out";
    kafka.createTopic(in, 1);
    kafka.createTopic(out, 1);
    kafka.createTopic(in + ".dlt", 1);
    int records = 10;
    int waiting = 5;
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            new StringSerializer(),
            new StringSerializer())) {
      for (int i = 0; i < records; i++) {
        producer.send(new ProducerRecord<>(in, 0, "k" + i, "v" + i));
      }
      producer.flush();
    }
    FakeClock clock = new FakeClock(Instant.now());
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    props.put("transaction.timeout.ms", "300000");
    ExactlyOnceProcessor first =
        ExactlyOnceProcessor.builder(props)
            .groupId(in)
            .instanceId(in + "-1")
            // A closed static member keeps its partitions until its session ends (45 s): this
            // test hands them to another instance at once.
            .staticMembership(false)
            .guarantee(guarantee)
            .input(in, new StringDeserializer(), new StringDeserializer())
            .output(new StringSerializer(), new StringSerializer())
            .commitInterval(INTERVAL)
            .ticker(clock)
            .retry(RetryPolicy.fixed(2, Duration.ofMinutes(3)))
            .process(
                (record, o) -> {
                  calls.computeIfAbsent(record.key(), k -> new AtomicInteger()).incrementAndGet();
                  o.send(out, record.key(), "out-" + record.value());
                  if (record.key().equals("k" + waiting)) {
                    throw new IllegalStateException("downstream busy");
                  }
                })
            .build();
    first.start();
    try {
      await().atMost(WAIT).until(() -> calls.containsKey("k" + waiting) && clock.sleepers() > 0);
    } finally {
      // Fake time stands still: the 3-minute backoff ends only because the processor closes.
      assertThat(first.close(Duration.ofSeconds(30))).isTrue();
    }
    List<String> before = new ArrayList<>();
    for (int i = 0; i < waiting; i++) {
      before.add("out-v" + i);
    }
    assertThat(values(TopicReader.readCommitted(bootstrap, out))).containsExactlyElementsOf(before);
    List<String> called = new ArrayList<>();
    for (int i = 0; i <= waiting; i++) {
      called.add("k" + i);
    }
    assertThat(calls.keySet())
        .as("records called before the close; none after the waiting one")
        .containsExactlyInAnyOrderElementsOf(called);

    ExactlyOnceProcessor second =
        ExactlyOnceProcessor.builder(props)
            .groupId(in)
            .instanceId(in + "-2")
            .guarantee(guarantee)
            .input(in, new StringDeserializer(), new StringDeserializer())
            .output(new StringSerializer(), new StringSerializer())
            .process((record, o) -> o.send(out, record.key(), "out-" + record.value()))
            .build();
    second.start();
    try {
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(300))
          .until(() -> TopicReader.readCommitted(bootstrap, out).size(), n -> n >= records);
    } finally {
      assertThat(second.close(Duration.ofSeconds(30))).isTrue();
    }
    List<String> all = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      all.add("out-v" + i);
    }
    assertThat(values(TopicReader.readCommitted(bootstrap, out))).containsExactlyElementsOf(all);
    assertThat(TopicReader.readCommitted(bootstrap, in + ".dlt")).isEmpty();
  }

  /**
   * Backoffs waited in place do not pile up in one transaction: a batch that waited one out commits
   * as soon as it is past its commit interval, before the poll's next record.
   */
  @ParameterizedTest
  @EnumSource(Guarantee.class)
  void aBatchThatWaitedOutABackoffPastItsIntervalCommitsBeforeTheNextRecord(Guarantee guarantee)
      throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    String bootstrap = kafka.bootstrapServers();
    String in = "backoff-commit-" + guarantee.name().toLowerCase().replace('_', '-');
    String out = in + "-out";
    kafka.createTopic(in, 1);
    kafka.createTopic(out, 1);
    kafka.createTopic(in + ".dlt", 1);
    int records = 20;
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            new StringSerializer(),
            new StringSerializer())) {
      for (int i = 0; i < records; i++) {
        producer.send(new ProducerRecord<>(in, 0, "k" + i, "v" + i));
      }
      producer.flush();
    }
    FakeClock clock = new FakeClock(Instant.now());
    Duration backoff = INTERVAL.plusSeconds(1);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Set<String> failedOnce = ConcurrentHashMap.newKeySet();
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    props.put("transaction.timeout.ms", "300000");
    ExactlyOnceProcessor p =
        ExactlyOnceProcessor.builder(props)
            .groupId(in)
            .instanceId(in + "-1")
            .guarantee(guarantee)
            .input(in, new StringDeserializer(), new StringDeserializer())
            .output(new StringSerializer(), new StringSerializer())
            .commitInterval(INTERVAL)
            .ticker(clock)
            .meterRegistry(registry)
            .retry(RetryPolicy.fixed(2, backoff))
            .process(
                (record, o) -> {
                  o.send(out, record.key(), "out-" + record.value());
                  if (failedOnce.add(record.key())) {
                    throw new IllegalStateException("downstream busy");
                  }
                })
            .build();
    p.start();
    try {
      // Each record's one backoff takes its batch past the interval, and nothing else moves time.
      await("a commit after each record's backoff: exactly.commits >= " + records)
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(5))
          .until(
              () -> {
                if (clock.sleepers() > 0) {
                  clock.advance(backoff);
                }
                return registry.get("exactly.commits").counter().count() >= records;
              });
    } finally {
      assertThat(p.close(Duration.ofSeconds(30))).isTrue();
    }
    List<String> all = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      all.add("out-v" + i);
    }
    assertThat(values(TopicReader.readCommitted(bootstrap, out))).containsExactlyElementsOf(all);
    assertThat(registry.get("exactly.aborts").counter().count()).isZero();
  }

  private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().map(r -> string(r.value())).toList();
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    Header h = r.headers().lastHeader(key);
    return h == null ? null : string(h.value());
  }

  private static String string(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
