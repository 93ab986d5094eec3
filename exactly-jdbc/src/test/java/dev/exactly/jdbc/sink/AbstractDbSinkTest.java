package dev.exactly.jdbc.sink;

import static dev.exactly.jdbc.sink.SinkFixtures.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ComponentState;
import dev.exactly.DeadLetterHeaders;
import dev.exactly.RetryPolicy;
import dev.exactly.internal.Metric;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.testkit.CountingConsumerInterceptor;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.TopicWriter;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.TableEffects;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLTransactionRollbackException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sink's behaviour on one real database and a real broker: one row per record, the database's
 * offsets win over Kafka's, poison and bad bytes go to the dead-letter topic without blocking,
 * transient errors retry, and a commit under a stale epoch is refused.
 */
abstract class AbstractDbSinkTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final AtomicInteger RUN = new AtomicInteger();
  private static final Duration WAIT = Duration.ofSeconds(90);

  /** A JDBC URL of the database under test, credentials included. */
  protected abstract String url();

  protected abstract Dialect expectedDialect();

  protected String table;
  protected String offsetTable;
  protected String topic;
  protected String group;
  protected HikariDataSource dataSource;
  protected SimpleMeterRegistry registry;
  private final List<DbSink<?, ?>> sinks = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    String run = ProcessHandle.current().pid() + "_" + RUN.incrementAndGet();
    String db = expectedDialect().name();
    table = "sink_rows_" + db + "_" + run;
    offsetTable = "sink_offsets_" + db + "_" + run;
    topic = "sink-" + db + "-" + run;
    group = "sink-group-" + db + "-" + run;
    SinkFixtures.createBusinessTable(url(), table);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url());
    config.setMaximumPoolSize(4);
    dataSource = new HikariDataSource(config);
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void tearDown() {
    sinks.forEach(s -> s.close(Duration.ofSeconds(30)));
    dataSource.close();
    SinkFixtures.dropTables(url(), table, offsetTable);
  }

  protected DbSinkBuilder<String, String> sink(BatchHandler<String, String> handler) {
    return DbSink.<String, String>builder()
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .kafkaProperties(
            Map.of(
                "bootstrap.servers", KAFKA.broker().bootstrapServers(),
                "session.timeout.ms", 10_000,
                "heartbeat.interval.ms", 1_000))
        .groupId(group)
        .topics(topic)
        .deserializers(new StringDeserializer(), new StringDeserializer())
        .dataSource(dataSource)
        .offsetTable(offsetTable)
        .retry(RetryPolicy.fixed(5, Duration.ofMillis(50)))
        .meterRegistry(registry)
        .handler(handler);
  }

  protected DbSink<String, String> started(DbSinkBuilder<String, String> builder) {
    DbSink<String, String> sink = builder.build();
    sinks.add(sink);
    sink.start();
    return sink;
  }

  private void awaitRows(long n) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> count(url(), "SELECT COUNT(*) FROM " + table), c -> c >= n);
  }

  private void assertExactlyOnce(List<Input> inputs) {
    new ExactlyOnceChecker(inputs)
        .check(new TableEffects(table, url(), "SELECT input_id, writer FROM " + table))
        .assertExactlyOnce();
  }

  private double counter(String name) {
    return registry.get(name).counter().count();
  }

  @Test
  void detectsItsDialect() throws Exception {
    try (Connection c = dataSource.getConnection()) {
      assertThat(Dialect.of(c)).isSameAs(expectedDialect());
    }
  }

  @Test
  void everyRecordCommitsOnceAndKafkaMirrorsTheDatabaseOffsets() throws Exception {
    KAFKA.broker().createTopic(topic, 3);
    SinkFixtures.produce(KAFKA.broker().bootstrapServers(), topic, 0, 3000, 100);
    started(sink(SinkFixtures.insertHandler(table, "a")).maxBatchRecords(200));

    awaitRows(3000);
    assertExactlyOnce(SinkFixtures.inputs(0, 3000));
    assertThat(count(url(), "SELECT SUM(next_offset) FROM " + offsetTable)).isEqualTo(3000);
    assertThat(count(url(), "SELECT MIN(epoch) FROM " + offsetTable)).isGreaterThanOrEqualTo(1);
    assertThat(registry.get(Metric.BATCH_SIZE.meterName()).summary().max())
        .isLessThanOrEqualTo(200);
    assertThat(counter(Metric.RECORDS_COMMITTED.meterName())).isEqualTo(3000);
    try (Admin admin = admin()) {
      await()
          .atMost(WAIT)
          .until(
              () ->
                  admin
                      .listConsumerGroupOffsets(group)
                      .partitionsToOffsetAndMetadata()
                      .get()
                      .values()
                      .stream()
                      .mapToLong(OffsetAndMetadata::offset)
                      .sum(),
              sum -> sum == 3000);
    }
  }

  /**
   * {@code exactly.lag}: while the handler holds the first poll's batch, the records not yet polled
   * are behind; once it is let go and the topic drained, none are.
   */
  @Test
  void lagCountsRecordsNotYetPolledAndFallsToZeroOnceDrained() throws Exception {
    KAFKA.broker().createTopic(topic, 1);
    SinkFixtures.produce(KAFKA.broker().bootstrapServers(), topic, 0, 1000, 10);
    CountDownLatch release = new CountDownLatch(1);
    BatchHandler<String, String> insert = SinkFixtures.insertHandler(table, "a");
    started(
        sink(
            (records, connection) -> {
              release.await();
              insert.handle(records, connection);
            }));
    try {
      // max.poll.records is Kafka's 500: at least 500 records lie past the poll in hand.
      await().atMost(WAIT).until(() -> lag() > 0);
      assertThat(lag()).isBetween(500.0, 1000.0);
      assertThat(count(url(), "SELECT COUNT(*) FROM " + table)).isZero();
    } finally {
      release.countDown();
    }
    awaitRows(1000);
    await().atMost(WAIT).until(() -> lag() == 0.0);
  }

  private double lag() {
    var gauge = registry.find(Metric.LAG.meterName()).tag("group", group).gauge();
    return gauge == null ? 0 : gauge.value();
  }

  @Test
  void restartResumesFromTheDatabaseNotFromKafka() throws Exception {
    KAFKA.broker().createTopic(topic, 2);
    SinkFixtures.produce(KAFKA.broker().bootstrapServers(), topic, 0, 500, 50);
    DbSink<String, String> first = started(sink(SinkFixtures.insertHandler(table, "first")));
    awaitRows(500);
    assertThat(first.close(Duration.ofSeconds(30))).isTrue();
    assertThat(first.state()).isEqualTo(ComponentState.CLOSED);

    // Kafka's committed offsets say "start over"; only the database's may count.
    try (Admin admin = admin()) {
      admin
          .alterConsumerGroupOffsets(
              group,
              Map.of(
                  new TopicPartition(topic, 0), new OffsetAndMetadata(0),
                  new TopicPartition(topic, 1), new OffsetAndMetadata(0)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
    SinkFixtures.produce(KAFKA.broker().bootstrapServers(), topic, 500, 300, 50);
    started(sink(SinkFixtures.insertHandler(table, "second")));
    awaitRows(800);
    Thread.sleep(1000); // a sink that rewound to Kafka's 0 would be writing duplicates by now
    assertExactlyOnce(SinkFixtures.inputs(0, 800));
    assertThat(count(url(), "SELECT MIN(epoch) FROM " + offsetTable)).isEqualTo(2);
  }

  /**
   * Creates the topic and its dead-letter topic and writes {@code before} good records, the poison
   * (key "poison-key", offset {@code before}), then {@code after} more; returns the bootstrap.
   */
  private String producePoisonBetween(int before, int after) {
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(topic + ".dlt", 1);
    String bootstrap = KAFKA.broker().bootstrapServers();
    SinkFixtures.produce(bootstrap, topic, 0, before, 20);
    SinkFixtures.produceOne(bootstrap, topic, "poison-key", SinkFixtures.POISON);
    SinkFixtures.produce(bootstrap, topic, before, after, 20);
    return bootstrap;
  }

  @Test
  void poisonRecordGoesToTheDeadLetterTopicAndTheOther999CommitOnce() throws Exception {
    String bootstrap = producePoisonBetween(500, 499);
    started(sink(SinkFixtures.insertHandler(table, "p")).maxBatchRecords(1000));

    awaitRows(999);
    await().atMost(WAIT).until(() -> counter(Metric.DEAD_LETTERS.meterName()) >= 1);
    assertExactlyOnce(SinkFixtures.inputs(0, 999));
    List<ConsumerRecord<byte[], byte[]>> dead =
        TopicReader.readCommitted(bootstrap, topic + ".dlt");
    assertThat(dead).hasSize(1);
    ConsumerRecord<byte[], byte[]> d = dead.get(0);
    assertThat(new String(d.key(), StandardCharsets.UTF_8)).isEqualTo("poison-key");
    assertThat(header(d, DeadLetterHeaders.REASON)).isEqualTo("non-retriable");
    assertThat(header(d, DeadLetterHeaders.OFFSET)).isEqualTo("500");
    assertThat(header(d, DeadLetterHeaders.TOPIC)).isEqualTo(topic);
    assertThat(java.sql.SQLException.class)
        .isAssignableFrom(Class.forName(header(d, DeadLetterHeaders.EXCEPTION_CLASS)));
    assertThat(counter(Metric.RECORDS_COMMITTED.meterName())).isEqualTo(999);
    // the poison's offset is committed too: the partition is not blocked
    await()
        .atMost(WAIT)
        .until(() -> count(url(), "SELECT next_offset FROM " + offsetTable), n -> n == 1000);
  }

  @Test
  void aUsersConsumerInterceptorDoesNotStopTheDeadLetterProducer() throws Exception {
    String bootstrap = producePoisonBetween(5, 5);
    long seenBefore = CountingConsumerInterceptor.seen();
    started(
        sink(SinkFixtures.insertHandler(table, "i"))
            .kafkaProperties(
                Map.of(
                    "bootstrap.servers",
                    bootstrap,
                    "interceptor.classes",
                    CountingConsumerInterceptor.class.getName())));

    awaitRows(10);
    assertExactlyOnce(SinkFixtures.inputs(0, 10));
    await()
        .atMost(WAIT)
        .until(() -> TopicReader.readCommitted(bootstrap, topic + ".dlt").size() == 1);
    assertThat(CountingConsumerInterceptor.seen()).isGreaterThan(seenBefore);
  }

  @Test
  void undeserializableRecordGoesToTheDeadLetterTopicWithoutBlocking() throws Exception {
    KAFKA.broker().createTopic(topic, 1);
    KAFKA.broker().createTopic(topic + ".dlt", 1);
    String bootstrap = KAFKA.broker().bootstrapServers();
    SinkFixtures.produce(bootstrap, topic, 0, 10, 20);
    SinkFixtures.produceOne(bootstrap, topic, "bad-bytes", "not-a-payload");
    SinkFixtures.produce(bootstrap, topic, 10, 10, 20);
    StringDeserializer strings = new StringDeserializer();
    started(
        sink(SinkFixtures.insertHandler(table, "d"))
            .deserializers(
                strings,
                (t, bytes) -> {
                  String s = strings.deserialize(t, bytes);
                  if (s.startsWith("not-")) {
                    throw new SerializationException("not a payload: " + s);
                  }
                  return s;
                }));
    awaitRows(20);
    assertExactlyOnce(SinkFixtures.inputs(0, 20));
    List<ConsumerRecord<byte[], byte[]>> dead =
        TopicReader.readCommitted(bootstrap, topic + ".dlt");
    assertThat(dead).hasSize(1);
    assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).isEqualTo("deserialization");
    assertThat(header(dead.get(0), DeadLetterHeaders.EXCEPTION_MESSAGE)).contains("not a payload");
  }

  @Test
  void transientErrorIsRetriedAndTheBatchCommitsOnce() throws Exception {
    KAFKA.broker().createTopic(topic, 1);
    SinkFixtures.produce(KAFKA.broker().bootstrapServers(), topic, 0, 50, 20);
    AtomicInteger calls = new AtomicInteger();
    started(
        sink(
            (records, connection) -> {
              SinkFixtures.insert(connection, table, "t", records);
              if (calls.incrementAndGet() <= 2) {
                // SQLState 40001 (serialization failure), after rows were written: they must roll
                // back with the failed attempt.
                throw new SQLTransactionRollbackException("simulated conflict", "40001", 40001);
              }
            }));
    awaitRows(50);
    Thread.sleep(500);
    assertExactlyOnce(SinkFixtures.inputs(0, 50));
    assertThat(counter(Metric.RETRIES.meterName())).isGreaterThanOrEqualTo(2);
    assertThat(counter(Metric.DEAD_LETTERS.meterName())).isZero();
  }

  /**
   * The liveness bug behind the once-seen crash-test stall: an epoch bumped behind the back of the
   * partition's Kafka owner (a late claim by an instance that had already left the group) fenced
   * the owner, which then paused the partition "until Kafka reassigns it", and nothing in the group
   * ever changed again. Now the fenced batch still writes nothing, and the owner gets the partition
   * back through a rebalance and commits every record once.
   */
  @Test
  void fencedOwnerThatKafkaStillAssignsClaimsAgainAndEveryRecordLandsOnce() throws Exception {
    KAFKA.broker().createTopic(topic, 1);
    SinkFixtures.produce(KAFKA.broker().bootstrapServers(), topic, 0, 100, 20);
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch goOn = new CountDownLatch(1);
    AtomicBoolean first = new AtomicBoolean(true);
    DbSink<String, String> sink =
        started(
            sink(
                (records, connection) -> {
                  if (first.getAndSet(false)) {
                    inHandler.countDown();
                    goOn.await(60, TimeUnit.SECONDS);
                  }
                  SinkFixtures.insert(connection, table, "owner", records);
                }));
    assertThat(inHandler.await(60, TimeUnit.SECONDS)).isTrue();
    // Another instance claims the partition meanwhile, and then is gone: Kafka still assigns the
    // partition to this sink, so no rebalance will ever move it.
    try (Connection c = DriverManager.getConnection(url());
        Statement s = c.createStatement()) {
      assertThat(s.executeUpdate("UPDATE " + offsetTable + " SET epoch = epoch + 1")).isEqualTo(1);
    }
    goOn.countDown();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(counter(Metric.FENCED_COMMITS.meterName()))
                    .as("fenced commits: the first batch ran under the bumped epoch")
                    .isGreaterThanOrEqualTo(1));
    awaitRows(100);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(count(url(), "SELECT next_offset FROM " + offsetTable))
                    .as("the partition's committed offset after the owner claimed it again")
                    .isEqualTo(100));
    Thread.sleep(500);
    // No duplicate: the fenced batch's rows were rolled back, the reclaimed batches wrote each
    // once.
    assertExactlyOnce(SinkFixtures.inputs(0, 100));
    assertThat(count(url(), "SELECT epoch FROM " + offsetTable))
        .as("epoch: 1 (first claim), 2 (the other instance), 3 or more (claimed again)")
        .isGreaterThanOrEqualTo(3);
    assertThat(sink.state()).isEqualTo(ComponentState.RUNNING);
  }

  /**
   * A row lock on one partition's offset row, held by a session idle in its transaction (a frozen
   * instance, or one whose client died without the server noticing), must not stall the sink: the
   * claim gives up after the lock wait, the partition waits paused, and the other partition commits
   * meanwhile; once the lock goes, the waiting partition is claimed and commits too.
   */
  @Test
  void rowLockHeldOnOnePartitionDoesNotStallTheOthers() throws Exception {
    KAFKA.broker().createTopic(topic, 2);
    produceTo(0, 0, 100);
    produceTo(1, 100, 100);
    OffsetTable table0 = new OffsetTable(expectedDialect(), offsetTable, group);
    try (Connection c = DriverManager.getConnection(url())) {
      table0.create(c);
      c.setAutoCommit(false);
      table0.claim(
          c, List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1))); // rows exist
      c.commit();
    }
    try (Connection holder = DriverManager.getConnection(url())) {
      holder.setAutoCommit(false);
      // By the whole key: InnoDB would lock every row a partial-key scan passes.
      try (PreparedStatement s =
          holder.prepareStatement(
              "UPDATE "
                  + offsetTable
                  + " SET epoch = epoch WHERE group_id = ? AND topic = ? AND partition_id = 0")) {
        s.setString(1, group);
        s.setString(2, topic);
        assertThat(s.executeUpdate()).isEqualTo(1);
      }
      // A pool the sink builds itself: its sessions bound their lock waits on every database.
      // 2 s instead of the default 10 s: partition 1 is claimed only after partition 0's claim
      // gave up, so the test used to wait out the full default; what it shows is the same.
      started(
          sink(SinkFixtures.insertHandler(table, "l"))
              .dataSource(null)
              .jdbcUrl(url())
              .lockWait(Duration.ofSeconds(2)));
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(
                          count(
                              url(),
                              "SELECT next_offset FROM " + offsetTable + " WHERE partition_id = 1"))
                      .as("partition 1 committed while partition 0's row stays locked")
                      .isEqualTo(100));
      assertThat(count(url(), "SELECT COUNT(*) FROM " + table)).isEqualTo(100);
      holder.rollback();
    }
    awaitRows(200);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(count(url(), "SELECT SUM(next_offset) FROM " + offsetTable))
                    .as("both partitions' offsets once the lock is gone")
                    .isEqualTo(200));
    assertExactlyOnce(SinkFixtures.inputs(0, 200));
    assertThat(counter(Metric.RETRIES.meterName()))
        .as("failed claims, retried")
        .isGreaterThanOrEqualTo(1);
  }

  private void produceTo(int partition, int from, int count) {
    Map<String, Object> p =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            KAFKA.broker().bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (int i = from; i < from + count; i++) {
        records.add(new ProducerRecord<>(topic, partition, SinkFixtures.id(i), "v"));
      }
      TopicWriter.sendAll(producer, records);
    }
  }

  @Test
  void offsetTableRefusesAnOwnerWhoseEpochWasBumped() throws Exception {
    OffsetTable offsets = new OffsetTable(expectedDialect(), offsetTable, group);
    TopicPartition tp = new TopicPartition("orders", 3);
    try (Connection c = dataSource.getConnection()) {
      offsets.create(c);
      offsets.create(c); // idempotent
      c.setAutoCommit(false);
      var a = offsets.claim(c, List.of(tp));
      c.commit();
      var b = offsets.claim(c, List.of(tp));
      c.commit();
      assertThat(b.get(tp).epoch()).isEqualTo(a.get(tp).epoch() + 1);
      assertThat(offsets.advance(c, Map.of(tp, 10L), a)).containsExactly(tp);
      c.rollback();
      assertThat(offsets.advance(c, Map.of(tp, 10L), b)).isEmpty();
      c.commit();
      // b's own stale view of the offset (-1) no longer matches either: out of sync, refused
      assertThat(offsets.advance(c, Map.of(tp, 20L), b)).containsExactly(tp);
      c.rollback();
      assertThat(offsets.read(c, tp)).isEqualTo(new OffsetTable.Position(10, b.get(tp).epoch()));
    }
  }

  @Test
  void upsertsInsertNewKeysKeepOrOverwriteExistingOnes() throws Exception {
    String orders = table + "_orders";
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      for (String ddl :
          expectedDialect()
              .createTableIfAbsent(
                  orders,
                  List.of(
                      dev.exactly.jdbc.internal.Column.key("order_id", 64),
                      dev.exactly.jdbc.internal.Column.bigint("amount", false)),
                  List.of("order_id"),
                  List.of())) {
        s.execute(ddl);
      }
      List<String> cols = List.of("order_id", "amount");
      c.setAutoCommit(false);
      // b twice in one call: the first wins for insertIfAbsent
      Upserts.insertIfAbsent(
          c,
          orders,
          cols,
          List.of("order_id"),
          List.of(List.of("b", 1L), List.of("a", 1L), List.of("b", 9L)));
      Upserts.insertIfAbsent(
          c, orders, cols, List.of("order_id"), List.of(List.of("a", 2L), List.of("c", 2L)));
      // the last wins for upsert
      Upserts.upsert(
          c, orders, cols, List.of("order_id"), List.of(List.of("c", 3L), List.of("c", 4L)));
      c.commit();
      c.setAutoCommit(true);
      assertThat(count(url(), "SELECT SUM(amount) FROM " + orders)).isEqualTo(1 + 1 + 4);
      assertThat(count(url(), "SELECT COUNT(*) FROM " + orders)).isEqualTo(3);
    } finally {
      SinkFixtures.dropTables(url(), orders);
    }
  }

  private Admin admin() {
    return Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers()));
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
