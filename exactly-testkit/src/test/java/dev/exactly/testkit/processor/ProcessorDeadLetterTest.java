package dev.exactly.testkit.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.DeadLetterReason;
import dev.exactly.NonRetriableException;
import dev.exactly.RetryPolicy;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.KafkaCluster;
import dev.exactly.testkit.KafkaClusterExtension;
import dev.exactly.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every dead letter the processor writes keeps the record as it was and carries every header {@link
 * DeadLetterHeaders} promises, for each reason the processor gives a record up; and it is written
 * in the batch's transaction, with the time it was given up as its timestamp.
 */
class ProcessorDeadLetterTest {
  @RegisterExtension static final KafkaClusterExtension CLUSTER = KafkaClusterExtension.brokers(1);

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Duration INTERVAL = Duration.ofMinutes(1);

  /** Values are numbers; anything else is refused as a user's deserializer would. */
  static final class NumberDeserializer implements Deserializer<Long> {
    @Override
    public Long deserialize(String topic, byte[] data) {
      String s = new String(data, StandardCharsets.UTF_8);
      try {
        return Long.parseLong(s);
      } catch (NumberFormatException e) {
        throw new SerializationException("not a number: " + s);
      }
    }
  }

  @Test
  void everyDeadLetterCarriesEveryContractHeaderForEachReason() throws Exception {
    KafkaCluster cluster = CLUSTER.cluster();
    String bootstrap = cluster.bootstrapServers();
    cluster.createTopic("dl-in", 1);
    cluster.createTopic("dl-in.dlt", 1);
    cluster.createTopic("dl-out", 1);
    // One partition, offsets in this order. Retries happen in place, so each record that is not
    // retried is called once.
    List<String[]> inputs =
        List.of(
            new String[] {"flaky", "1"},
            new String[] {"arith", "2"},
            new String[] {"garbage", "not-a-number"},
            new String[] {"rule", "3"},
            new String[] {"wrapped", "4"},
            new String[] {"illegal", "5"},
            new String[] {"good", "6"});
    long originalTimestamp = System.currentTimeMillis() - Duration.ofHours(2).toMillis();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            new StringSerializer(),
            new StringSerializer())) {
      for (String[] in : inputs) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("trace", ("t-" + in[0]).getBytes(StandardCharsets.UTF_8));
        producer
            .send(new ProducerRecord<>("dl-in", 0, originalTimestamp, in[0], in[1], headers))
            .get();
      }
    }

    // Fake time stands still while the records are given up, so every dead letter's own
    // timestamp must be exactly this instant; and the batch commits only when it moves on.
    FakeClock clock = new FakeClock(Instant.now().minus(Duration.ofHours(1)));
    long giveUpMillis = clock.millis();
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    CountDownLatch lastProcessed = new CountDownLatch(1);
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    // Above the one-minute commit interval, as build() requires.
    props.put("transaction.timeout.ms", "300000");
    ExactlyOnceProcessor p =
        ExactlyOnceProcessor.builder(props)
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId("dl-group")
            .instanceId("dl-1")
            .input("dl-in", new StringDeserializer(), new NumberDeserializer())
            .output(new StringSerializer(), new StringSerializer())
            .commitInterval(INTERVAL)
            .ticker(clock)
            // No wait between attempts: the retried records need no clock movement.
            .retry(RetryPolicy.fixed(2, Duration.ZERO))
            // The second call replaces the first: arithmetic errors are retried again.
            .nonRetriable(ArithmeticException.class)
            .nonRetriable(IllegalArgumentException.class)
            .process(
                (record, out) -> {
                  calls.computeIfAbsent(record.key(), k -> new AtomicInteger()).incrementAndGet();
                  switch (record.key()) {
                    case "flaky" -> throw new IllegalStateException("still down");
                    case "arith" -> throw new ArithmeticException("/ by zero");
                    case "rule" -> throw new NonRetriableException("rule 7 broken");
                    case "wrapped" ->
                        throw new RuntimeException(
                            "handler failed", new NonRetriableException("rule 8 broken"));
                    case "illegal" -> throw new IllegalArgumentException();
                    default -> {
                      out.send("dl-out", record.key(), "ok " + record.value());
                      lastProcessed.countDown();
                    }
                  }
                })
            .build();
    p.start();
    try {
      assertThat(lastProcessed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      clock.advance(INTERVAL);
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(300))
          .until(() -> TopicReader.readCommitted(bootstrap, "dl-out").size(), n -> n >= 1);
    } finally {
      assertThat(p.close(Duration.ofSeconds(30))).isTrue();
    }

    Map<String, ConsumerRecord<byte[], byte[]>> letters =
        TopicReader.readCommitted(bootstrap, "dl-in.dlt").stream()
            .collect(Collectors.toMap(r -> string(r.key()), Function.identity()));
    assertThat(letters).containsOnlyKeys("flaky", "arith", "garbage", "rule", "wrapped", "illegal");
    expect(
        letters.get("flaky"),
        0,
        "1",
        DeadLetterReason.RETRIES_EXHAUSTED,
        IllegalStateException.class.getName(),
        "still down",
        2,
        originalTimestamp,
        giveUpMillis);
    expect(
        letters.get("arith"),
        1,
        "2",
        DeadLetterReason.RETRIES_EXHAUSTED,
        ArithmeticException.class.getName(),
        "/ by zero",
        2,
        originalTimestamp,
        giveUpMillis);
    expect(
        letters.get("garbage"),
        2,
        "not-a-number",
        DeadLetterReason.DESERIALIZATION,
        SerializationException.class.getName(),
        "not a number: not-a-number",
        1,
        originalTimestamp,
        giveUpMillis);
    expect(
        letters.get("rule"),
        3,
        "3",
        DeadLetterReason.NON_RETRIABLE,
        NonRetriableException.class.getName(),
        "rule 7 broken",
        1,
        originalTimestamp,
        giveUpMillis);
    expect(
        letters.get("wrapped"),
        4,
        "4",
        DeadLetterReason.NON_RETRIABLE,
        RuntimeException.class.getName(),
        "handler failed",
        1,
        originalTimestamp,
        giveUpMillis);
    expect(
        letters.get("illegal"),
        5,
        "5",
        DeadLetterReason.NON_RETRIABLE,
        IllegalArgumentException.class.getName(),
        "",
        1,
        originalTimestamp,
        giveUpMillis);

    // Given up at once: the wrapped NonRetriableException was never retried.
    assertThat(calls.get("wrapped")).hasValue(1);
    assertThat(calls.get("rule")).hasValue(1);
    assertThat(calls.get("illegal")).hasValue(1);
    assertThat(calls.get("flaky")).hasValue(2);
    assertThat(calls.get("arith")).hasValue(2);
    assertThat(calls).doesNotContainKey("garbage");
    assertThat(TopicReader.readCommitted(bootstrap, "dl-out")).hasSize(1);
  }

  private static void expect(
      ConsumerRecord<byte[], byte[]> letter,
      long offset,
      String value,
      DeadLetterReason reason,
      String exceptionClass,
      String message,
      int attempts,
      long originalTimestamp,
      long giveUpMillis) {
    String key = string(letter.key());
    assertThat(string(letter.value())).as(key + " value").isEqualTo(value);
    assertThat(header(letter, "trace")).as(key + " original header").isEqualTo("t-" + key);
    assertThat(header(letter, DeadLetterHeaders.TOPIC)).as(key).isEqualTo("dl-in");
    assertThat(header(letter, DeadLetterHeaders.PARTITION)).as(key).isEqualTo("0");
    assertThat(header(letter, DeadLetterHeaders.OFFSET)).as(key).isEqualTo(Long.toString(offset));
    assertThat(header(letter, DeadLetterHeaders.TIMESTAMP))
        .as(key)
        .isEqualTo(Long.toString(originalTimestamp));
    assertThat(header(letter, DeadLetterHeaders.REASON)).as(key).isEqualTo(reason.code());
    assertThat(header(letter, DeadLetterHeaders.EXCEPTION_CLASS)).as(key).isEqualTo(exceptionClass);
    assertThat(header(letter, DeadLetterHeaders.EXCEPTION_MESSAGE)).as(key).isEqualTo(message);
    assertThat(header(letter, DeadLetterHeaders.ATTEMPTS))
        .as(key)
        .isEqualTo(Integer.toString(attempts));
    assertThat(letter.timestamp()).as(key + " given up at").isEqualTo(giveUpMillis);
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    Header h = r.headers().lastHeader(key);
    return h == null ? null : string(h.value());
  }

  private static String string(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
