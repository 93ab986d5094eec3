package dev.exactly.jdbc.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.TestDirectories;
import dev.exactly.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A sink instance refuses one input and is SIGKILLed right after giving it up; its successor
 * accepts that input. The record must end up in exactly one place: the table or the dead-letter
 * topic. With the dead letter sent before the offset commit, the successor read the record again
 * and wrote it too, so it was in both.
 */
class PostgreSqlSinkDeadLetterCrashTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final int INPUTS = 400;
  private static final String POISON = SinkFixtures.id(150);

  private String table;
  private String offsets;
  private String topic;
  private String group;
  private Path logs;
  private final List<ChildProcess> children = new ArrayList<>();

  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @BeforeEach
  void setUp() throws SQLException {
    String run = Long.toString(ProcessHandle.current().pid());
    table = "dlcrash_rows_" + run;
    offsets = "dlcrash_offsets_" + run;
    topic = "dlcrash-" + run;
    group = "dlcrash-group-" + run;
    logs = TestDirectories.newDirectory("sink-dead-letter-crash");
    SinkFixtures.createBusinessTable(url(), table);
  }

  @AfterEach
  void tearDown() {
    children.forEach(ChildProcess::close);
    SinkFixtures.dropTables(url(), table, offsets);
  }

  private static String url() {
    return ExternalService.POSTGRESQL.url();
  }

  @Test
  void aRecordGivenUpByAKilledInstanceIsNeverAlsoWrittenByItsSuccessor() throws Exception {
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(topic + ".dlt", 1);
    SinkFixtures.produce(KAFKA.broker().bootstrapServers(), topic, 0, INPUTS, 50);

    ChildProcess first = child("first", "poison=" + POISON, "crash=SINK_AFTER_DEAD_LETTER@1");
    first.awaitOutput("CRASHPOINT SINK_AFTER_DEAD_LETTER", Duration.ofSeconds(90));
    first.kill();

    child("second");
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .until(this::committed, c -> c == INPUTS);
    List<ConsumerRecord<byte[], byte[]>> deadLetters = awaitDeadLetters();

    long rows = SinkFixtures.count(url(), "SELECT COUNT(*) FROM " + table);
    long poisonRows =
        SinkFixtures.count(
            url(), "SELECT COUNT(*) FROM " + table + " WHERE input_id = '" + POISON + "'");
    long distinct = SinkFixtures.count(url(), "SELECT COUNT(DISTINCT input_id) FROM " + table);
    assertThat(poisonRows)
        .as("the input given up to the dead-letter topic must not also be in the table")
        .isZero();
    assertThat(rows).as("every other input is one row").isEqualTo(INPUTS - 1);
    assertThat(distinct).isEqualTo(INPUTS - 1);
    assertThat(deadLetters).hasSize(1);
    ConsumerRecord<byte[], byte[]> dl = deadLetters.get(0);
    assertThat(new String(dl.key(), StandardCharsets.UTF_8)).isEqualTo(POISON);
    assertThat(header(dl, DeadLetterHeaders.TOPIC)).isEqualTo(topic);
    assertThat(header(dl, DeadLetterHeaders.OFFSET)).isEqualTo("150");
    assertThat(header(dl, DeadLetterHeaders.REASON)).isEqualTo("non-retriable");
    assertThat(SinkFixtures.count(url(), "SELECT COUNT(*) FROM " + offsets + "_dlt"))
        .as("a published dead letter leaves the sink's table")
        .isZero();
  }

  /** The dead-letter topic once the successor published what its predecessor left. */
  private List<ConsumerRecord<byte[], byte[]>> awaitDeadLetters() {
    String bootstrap = KAFKA.broker().bootstrapServers();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> !TopicReader.readCommitted(bootstrap, topic + ".dlt").isEmpty());
    return TopicReader.readCommitted(bootstrap, topic + ".dlt");
  }

  private long committed() {
    try {
      return SinkFixtures.count(url(), "SELECT COALESCE(SUM(next_offset), 0) FROM " + offsets);
    } catch (SQLException e) {
      return 0; // not created yet
    }
  }

  private ChildProcess child(String name, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "bootstrap=" + KAFKA.broker().bootstrapServers(),
                "topic=" + topic,
                "group=" + group,
                "url=" + url(),
                "table=" + table,
                "offsets=" + offsets,
                "name=" + name,
                "batch=50"));
    args.addAll(List.of(extra));
    ChildProcess c = SinkFixtures.startChild(name, args, logs);
    children.add(c);
    return c;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
