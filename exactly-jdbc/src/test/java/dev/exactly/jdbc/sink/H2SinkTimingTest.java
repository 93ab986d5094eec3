package dev.exactly.jdbc.sink;

import static dev.exactly.jdbc.sink.SinkFixtures.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.RetryPolicy;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.FakeClock;
import java.sql.SQLTransactionRollbackException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sink's waits run on its ticker: with a fake clock a backoff lasts until the test moves time
 * on, however long it takes in real time, and not a moment less.
 */
class H2SinkTimingTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final String URL = "jdbc:h2:mem:sink_timing;DB_CLOSE_DELAY=-1";
  private static final AtomicInteger RUN = new AtomicInteger();
  private static final Duration WAIT = Duration.ofSeconds(90);

  private String table;
  private String offsetTable;
  private String run;
  private final List<DbSink<?, ?>> sinks = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    run = ProcessHandle.current().pid() + "_" + RUN.incrementAndGet();
    table = "timing_rows_" + run;
    offsetTable = "timing_offsets_" + run;
    SinkFixtures.createBusinessTable(URL, table);
  }

  @AfterEach
  void tearDown() {
    sinks.forEach(s -> s.close(Duration.ofSeconds(30)));
    SinkFixtures.dropTables(URL, table, offsetTable);
  }

  @Test
  void aTransientErrorIsRetriedOnlyOnceTheTickerPassedTheBackoff() throws Exception {
    String topic = "timing-" + run;
    KAFKA.broker().createTopic(topic, 1);
    SinkFixtures.produce(KAFKA.broker().bootstrapServers(), topic, 0, 20, 20);
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    AtomicInteger calls = new AtomicInteger();
    DbSink<String, String> sink =
        DbSink.<String, String>builder()
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .kafkaProperties(Map.of("bootstrap.servers", KAFKA.broker().bootstrapServers()))
            .groupId("timing-" + run)
            .topics(topic)
            .deserializers(new StringDeserializer(), new StringDeserializer())
            .jdbcUrl(URL)
            .offsetTable(offsetTable)
            .retry(RetryPolicy.fixed(3, Duration.ofHours(1)))
            .ticker(clock)
            .handler(
                (records, connection) -> {
                  SinkFixtures.insert(connection, table, "t", records);
                  if (calls.incrementAndGet() == 1) {
                    throw new SQLTransactionRollbackException("simulated conflict", "40001", 40001);
                  }
                })
            .build();
    sinks.add(sink);
    sink.start();

    // The first attempt failed and the engine waits out its hour on the fake clock.
    await().atMost(WAIT).until(() -> calls.get() == 1 && clock.sleepers() >= 1);
    clock.advance(Duration.ofMinutes(59));
    clock.awaitIdle(WAIT); // woken, an hour not yet passed, waits again
    assertThat(calls.get()).as("attempts before the hour passed").isEqualTo(1);
    assertThat(count(URL, "SELECT COUNT(*) FROM " + table)).isZero();

    clock.advance(Duration.ofMinutes(1));
    await().atMost(WAIT).until(() -> count(URL, "SELECT COUNT(*) FROM " + table), n -> n == 20);
    assertThat(calls.get()).as("the failed attempt, then the retry").isGreaterThanOrEqualTo(2);
  }
}
