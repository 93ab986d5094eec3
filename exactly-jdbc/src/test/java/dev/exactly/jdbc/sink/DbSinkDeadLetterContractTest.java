package dev.exactly.jdbc.sink;

import static dev.exactly.jdbc.sink.SinkFixtures.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.TopicWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dead letters the sink writes, read back from a real broker: for each reason the sink gives a
 * record up (deserialization, non-retriable), every header with its exact value, the original key,
 * value and headers kept; and where they go when the sink reads several topics.
 */
class DbSinkDeadLetterContractTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final String URL = "jdbc:h2:mem:sink_dlt_contract;DB_CLOSE_DELAY=-1";
  private static final AtomicInteger RUN = new AtomicInteger();
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final long TIMESTAMP = 1_700_000_000_123L;

  private String table;
  private String offsetTable;
  private String run;
  private final List<DbSink<?, ?>> sinks = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    run = ProcessHandle.current().pid() + "_" + RUN.incrementAndGet();
    table = "dlt_rows_" + run;
    offsetTable = "dlt_offsets_" + run;
    SinkFixtures.createBusinessTable(URL, table);
  }

  @AfterEach
  void tearDown() {
    sinks.forEach(s -> s.close(Duration.ofSeconds(30)));
    SinkFixtures.dropTables(URL, table, offsetTable);
  }

  /** Refuses values starting "not-", as a real deserializer refuses bad bytes. */
  private static final StringDeserializer STRINGS = new StringDeserializer();

  private DbSinkBuilder<String, String> sink(String group, String... topics) {
    return DbSink.<String, String>builder()
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .kafkaProperties(Map.of("bootstrap.servers", KAFKA.broker().bootstrapServers()))
        .groupId(group)
        .topics(topics)
        .deserializers(
            STRINGS,
            (t, bytes) -> {
              String s = STRINGS.deserialize(t, bytes);
              if (s.startsWith("not-")) {
                throw new SerializationException("not a payload: " + s);
              }
              return s;
            })
        .jdbcUrl(URL)
        .offsetTable(offsetTable)
        .handler(
            (records, connection) -> {
              for (ConsumerRecord<String, String> r : records) {
                if (r.value().equals("refuse")) {
                  throw new IllegalArgumentException("refused " + r.key());
                }
                if (r.value().equals("assert")) {
                  // Not an Exception: the engine wraps it, the dead letter must still name it.
                  throw new AssertionError("asserted " + r.key());
                }
              }
              SinkFixtures.insert(connection, table, "c", records);
            });
  }

  private void started(DbSinkBuilder<String, String> builder) {
    DbSink<String, String> sink = builder.build();
    sinks.add(sink);
    sink.start();
  }

  private static void produce(String topic, List<ProducerRecord<byte[], byte[]>> records) {
    Map<String, Object> p =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            KAFKA.broker().bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      TopicWriter.sendAll(producer, records);
    }
  }

  private static ProducerRecord<byte[], byte[]> record(
      String topic, String key, String value, Header... headers) {
    return new ProducerRecord<>(
        topic, 0, TIMESTAMP, utf8(key), utf8(value), new RecordHeaders(headers));
  }

  private static Header header(String name, String value) {
    return new RecordHeaders().add(name, utf8(value)).lastHeader(name);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Every header as name -> value, failing on a name that occurs twice. */
  private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> r) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Header h : r.headers()) {
      String previous = out.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
      assertThat(previous).as("header %s occurs once", h.key()).isNull();
    }
    return out;
  }

  private static Map<String, String> expected(
      String topic,
      long offset,
      String exceptionClass,
      String message,
      String reason,
      String trace) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("trace-id", trace);
    m.put(DeadLetterHeaders.TOPIC, topic);
    m.put(DeadLetterHeaders.PARTITION, "0");
    m.put(DeadLetterHeaders.OFFSET, Long.toString(offset));
    m.put(DeadLetterHeaders.TIMESTAMP, Long.toString(TIMESTAMP));
    m.put(DeadLetterHeaders.EXCEPTION_CLASS, exceptionClass);
    m.put(DeadLetterHeaders.EXCEPTION_MESSAGE, message);
    m.put(DeadLetterHeaders.ATTEMPTS, "1");
    m.put(DeadLetterHeaders.REASON, reason);
    return m;
  }

  private void awaitCommitted(long sumOfNextOffsets) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              try {
                return count(URL, "SELECT SUM(next_offset) FROM " + offsetTable);
              } catch (java.sql.SQLException e) {
                return -1L; // the sink has not created its offset table yet
              }
            },
            n -> n == sumOfNextOffsets);
  }

  private static List<ConsumerRecord<byte[], byte[]>> awaitDeadLetters(String topic, int n) {
    List<List<ConsumerRecord<byte[], byte[]>>> read = new ArrayList<>();
    await()
        .atMost(WAIT)
        .until(
            () -> {
              read.clear();
              read.add(TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic));
              return read.get(0).size() >= n;
            });
    return read.get(0);
  }

  @Test
  void everyDeadLetterKeepsTheRecordAndCarriesEveryHeaderForEachReason() throws Exception {
    String topic = "dlt-contract-" + run;
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(topic + ".dlt", 1);
    produce(
        topic,
        List.of(
            record(topic, "good-0", "ok", header("trace-id", "t0")),
            record(topic, "bad-bytes", "not-a-payload", header("trace-id", "t1")),
            // A header of the same name as one the dead letter sets is replaced, not doubled.
            record(
                topic,
                "poison",
                "refuse",
                header("trace-id", "t2"),
                header(DeadLetterHeaders.REASON, "stale")),
            record(topic, "asserts", "assert", header("trace-id", "t3")),
            record(topic, "good-4", "ok", header("trace-id", "t4"))));
    started(sink("dlt-contract-" + run, topic));

    awaitCommitted(5);
    List<ConsumerRecord<byte[], byte[]>> dead = awaitDeadLetters(topic + ".dlt", 3);
    assertThat(dead).hasSize(3);
    assertThat(count(URL, "SELECT COUNT(*) FROM " + table)).isEqualTo(2);

    ConsumerRecord<byte[], byte[]> deserialization = dead.get(0);
    assertThat(new String(deserialization.key(), StandardCharsets.UTF_8)).isEqualTo("bad-bytes");
    assertThat(new String(deserialization.value(), StandardCharsets.UTF_8))
        .isEqualTo("not-a-payload");
    assertThat(headers(deserialization))
        .containsExactlyInAnyOrderEntriesOf(
            expected(
                topic,
                1,
                SerializationException.class.getName(),
                "not a payload: not-a-payload",
                "deserialization",
                "t1"));

    ConsumerRecord<byte[], byte[]> nonRetriable = dead.get(1);
    assertThat(new String(nonRetriable.key(), StandardCharsets.UTF_8)).isEqualTo("poison");
    assertThat(new String(nonRetriable.value(), StandardCharsets.UTF_8)).isEqualTo("refuse");
    assertThat(headers(nonRetriable))
        .containsExactlyInAnyOrderEntriesOf(
            expected(
                topic,
                2,
                IllegalArgumentException.class.getName(),
                "refused poison",
                "non-retriable",
                "t2"));

    ConsumerRecord<byte[], byte[]> error = dead.get(2);
    assertThat(new String(error.key(), StandardCharsets.UTF_8)).isEqualTo("asserts");
    assertThat(new String(error.value(), StandardCharsets.UTF_8)).isEqualTo("assert");
    assertThat(headers(error))
        .as("the user's AssertionError is named, not the engine's wrapper")
        .containsExactlyInAnyOrderEntriesOf(
            expected(
                topic,
                3,
                AssertionError.class.getName(),
                "asserted asserts",
                "non-retriable",
                "t3"));
  }

  @Test
  void eachInputTopicHasItsOwnDeadLetterTopicByDefault() {
    String a = "dlt-a-" + run;
    String b = "dlt-b-" + run;
    for (String t : List.of(a, b, a + ".dlt", b + ".dlt")) {
      KAFKA.broker().createTopic(t, 1);
    }
    produce(a, List.of(record(a, "poison-a", "refuse"), record(a, "good-a", "ok")));
    produce(b, List.of(record(b, "poison-b", "refuse"), record(b, "good-b", "ok")));
    started(sink("dlt-per-topic-" + run, a, b));

    awaitCommitted(4);
    assertThat(keys(awaitDeadLetters(a + ".dlt", 1))).containsExactly("poison-a");
    assertThat(keys(awaitDeadLetters(b + ".dlt", 1))).containsExactly("poison-b");
  }

  @Test
  void aGivenDeadLetterTopicTakesTheDeadLettersOfEveryInputTopic() {
    String a = "dlt-fixed-a-" + run;
    String b = "dlt-fixed-b-" + run;
    String shared = "dlt-shared-" + run;
    for (String t : List.of(a, b, shared)) {
      KAFKA.broker().createTopic(t, 1);
    }
    produce(a, List.of(record(a, "poison-a", "refuse"), record(a, "good-a", "ok")));
    produce(b, List.of(record(b, "poison-b", "refuse"), record(b, "good-b", "ok")));
    started(sink("dlt-fixed-" + run, a, b).deadLetterTopic(shared));

    awaitCommitted(4);
    List<ConsumerRecord<byte[], byte[]>> dead = awaitDeadLetters(shared, 2);
    assertThat(keys(dead)).containsExactlyInAnyOrder("poison-a", "poison-b");
    assertThat(dead)
        .extracting(r -> headers(r).get(DeadLetterHeaders.TOPIC))
        .containsExactlyInAnyOrder(a, b);
  }

  private static List<String> keys(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList();
  }
}
