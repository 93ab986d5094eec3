package dev.exactly.jdbc.sink;

import static dev.exactly.jdbc.sink.SinkFixtures.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.RetryPolicy;
import dev.exactly.internal.Metric;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.TableEffects;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A database outage during a sink run, made for real on the server (read-only mode, statement
 * timeouts, a revoked privilege), then lifted: every record must land once and none may reach the
 * dead-letter topic. The sink connects as an unprivileged user of its own, so that the outage can
 * be limited to it (and so that MariaDB's {@code read_only} applies to it at all).
 */
abstract class AbstractSinkOutageTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final AtomicInteger RUN = new AtomicInteger();
  private static final Duration WAIT = Duration.ofSeconds(90);

  protected String table;
  protected String offsetTable;
  protected String control;
  protected String topic;
  private String group;
  private SimpleMeterRegistry registry;
  private HikariDataSource sinkPool;
  private DbSink<String, String> sink;

  /** A JDBC URL of the database as its administrator (postgres, root). */
  protected abstract String adminUrl();

  /** A JDBC URL of the database as the sink's unprivileged user. */
  protected abstract String sinkUserUrl();

  /** Creates the sink's user with the rights to create tables and write {@link #table}. */
  protected abstract void createSinkUser(Statement admin) throws SQLException;

  protected abstract void dropSinkUser(Statement admin) throws SQLException;

  /** Creates a trigger on {@link #table} that sleeps for 2 s per statement while control.slow=1. */
  protected abstract void createSlowTrigger(Statement admin) throws SQLException;

  /** The session statement that limits each statement to 300 ms. */
  protected abstract String statementTimeoutSql();

  protected abstract String dialectName();

  @BeforeEach
  void setUp() throws Exception {
    String run = ProcessHandle.current().pid() + "_" + RUN.incrementAndGet();
    table = "outage_rows_" + dialectName() + "_" + run;
    offsetTable = "outage_offsets_" + dialectName() + "_" + run;
    control = "outage_control_" + dialectName() + "_" + run;
    topic = "outage-" + dialectName() + "-" + run;
    group = "outage-group-" + dialectName() + "-" + run;
    registry = new SimpleMeterRegistry();
    SinkFixtures.createBusinessTable(adminUrl(), table);
    admin(
        s -> {
          s.execute("CREATE TABLE " + control + " (slow INTEGER NOT NULL)");
          s.execute("INSERT INTO " + control + " VALUES (0)");
          createSinkUser(s);
        });
    KAFKA.broker().createTopic(topic, 2);
    KAFKA.broker().createTopic(topic + ".dlt", 1);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (sink != null) {
      sink.close(Duration.ofSeconds(30));
    }
    if (sinkPool != null) {
      sinkPool.close();
    }
    SinkFixtures.dropTables(adminUrl(), table, offsetTable, control);
    admin(this::dropSinkUser);
  }

  @FunctionalInterface
  interface AdminWork {
    void run(Statement s) throws SQLException;
  }

  protected void admin(AdminWork work) throws SQLException {
    try (Connection c = DriverManager.getConnection(adminUrl());
        Statement s = c.createStatement()) {
      work.run(s);
    }
  }

  /** Starts the sink on a pool of the sink's user; {@code initSql} runs on each new connection. */
  protected void startSink(String initSql) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(sinkUserUrl());
    config.setMaximumPoolSize(3);
    if (initSql != null) {
      config.setConnectionInitSql(initSql);
    }
    sinkPool = new HikariDataSource(config);
    sink =
        DbSink.<String, String>builder()
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .kafkaProperties(
                Map.of(
                    "bootstrap.servers", KAFKA.broker().bootstrapServers(),
                    "session.timeout.ms", 10_000,
                    "heartbeat.interval.ms", 1_000,
                    // Polls of many records: the outage meets batches, which bisection would
                    // split, not a lone record.
                    "fetch.min.bytes", 1 << 20,
                    "fetch.max.wait.ms", 300))
            .groupId(group)
            .topics(topic)
            .deserializers(new StringDeserializer(), new StringDeserializer())
            .dataSource(sinkPool)
            .offsetTable(offsetTable)
            .retry(RetryPolicy.fixed(3, Duration.ofMillis(100)))
            .meterRegistry(registry)
            .handler(SinkFixtures.insertHandler(table, "outage"))
            .build();
    sink.start();
  }

  /** Writes inputs {@code from .. from+count-1}. */
  protected void produce(int from, int count) {
    SinkFixtures.produce(KAFKA.broker().bootstrapServers(), topic, from, count, 20);
  }

  protected void awaitRows(long n) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> count(adminUrl(), "SELECT COUNT(*) FROM " + table), c -> c >= n);
  }

  /**
   * Waits until the outage has been met: batches retried, or (the fault) a record dead-lettered.
   */
  protected void awaitOutageMet() {
    double before = counter(Metric.RETRIES.meterName());
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                counter(Metric.RETRIES.meterName()) >= before + 4
                    || counter(Metric.DEAD_LETTERS.meterName()) > 0);
  }

  /**
   * Once lifted: waits for every one of {@code n} inputs to land (or for a dead letter, which fails
   * at once), then checks each landed once and none went to the dead-letter topic.
   */
  protected void assertEveryRecordLandedOnceAndNoneWasDeadLettered(int n) throws Exception {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                counter(Metric.DEAD_LETTERS.meterName()) > 0
                    || count(adminUrl(), "SELECT COUNT(*) FROM " + table) >= n);
    assertThat(TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic + ".dlt"))
        .as("records in the dead-letter topic after an outage")
        .isEmpty();
    assertThat(counter(Metric.DEAD_LETTERS.meterName())).as("exactly.dead.letters").isZero();
    // Stopped, the sink writes nothing more: what the table holds now is final.
    assertThat(sink.close(Duration.ofSeconds(30))).as("the sink stopped").isTrue();
    new ExactlyOnceChecker(SinkFixtures.inputs(0, n))
        .check(new TableEffects(table, adminUrl(), "SELECT input_id, writer FROM " + table))
        .assertExactlyOnce();
    assertThat(counter(Metric.RETRIES.meterName()))
        .as("batches retried during the outage")
        .isGreaterThanOrEqualTo(1);
  }

  protected void slow(boolean on) throws SQLException {
    admin(s -> s.executeUpdate("UPDATE " + control + " SET slow = " + (on ? 1 : 0)));
  }

  /**
   * Statements slower than the session's statement timeout (PostgreSQL 57014, MariaDB 1969) during
   * a run: retried, never dead-lettered.
   */
  protected void statementTimeoutsNeverSendRecordsToTheDeadLetterTopic() throws Exception {
    admin(this::createSlowTrigger);
    startSink(statementTimeoutSql());
    produce(0, 100);
    awaitRows(100);
    slow(true);
    try {
      produce(100, 100);
      awaitOutageMet();
    } finally {
      slow(false);
    }
    assertEveryRecordLandedOnceAndNoneWasDeadLettered(200);
  }

  private double counter(String name) {
    return registry.get(name).counter().count();
  }
}
