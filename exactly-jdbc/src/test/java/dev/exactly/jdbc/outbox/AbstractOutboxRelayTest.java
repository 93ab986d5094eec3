package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ComponentState;
import dev.exactly.DeadLetterHeaders;
import dev.exactly.internal.Failures;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the outbox and its relay do on one real database and a real broker. Each test has its own
 * table, topic and relay name.
 */
abstract class AbstractOutboxRelayTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final Duration WAIT = Duration.ofSeconds(120);

  protected HikariDataSource dataSource;
  protected String table;
  protected String topic;
  protected Outbox outbox;
  private final List<OutboxRelay> relays = new ArrayList<>();

  protected abstract String jdbcUrl();

  /**
   * Whether a jump settles within the test's patience on a database shared with other test runs.
   * MariaDB shows transaction starts in whole seconds, so any other session's transaction open in
   * the same second (or a long one) holds the jump back; there the test checks only that nothing in
   * the jump is skipped.
   */
  protected boolean jumpSettlesPromptly() {
    return true;
  }

  /** Whether writes wake the relay (PostgreSQL's NOTIFY), so it does not poll on its ticker. */
  protected boolean wakesOnWrite() {
    return false;
  }

  /** Whether the database has session locks, so a second relay waits instead of fencing. */
  protected boolean hasSessionLocks() {
    return true;
  }

  @BeforeEach
  void setUp() throws SQLException {
    int n = COUNTER.incrementAndGet();
    String unique = ProcessHandle.current().pid() + "_" + n;
    table = "outbox_t" + unique;
    topic = "outbox-topic-" + unique;
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl());
    config.setMaximumPoolSize(8);
    dataSource = new HikariDataSource(config);
    KAFKA.broker().createTopic(topic, 3);
    outbox = Outbox.builder().table(table).build();
    try (Connection c = dataSource.getConnection()) {
      outbox.createTableIfAbsent(c);
    }
  }

  @AfterEach
  void tearDown() throws SQLException {
    relays.forEach(r -> r.close(Duration.ofSeconds(10)));
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE " + table);
    }
    dataSource.close();
  }

  protected OutboxRelay.Builder relay() {
    Map<String, Object> kafka = new HashMap<>();
    kafka.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    return OutboxRelay.builder()
        // The test's dead-letter topics are created at start.
        .createTopics(true)
        .dataSource(dataSource)
        .kafkaProperties(kafka)
        .table(table)
        .positionTopic("positions-" + table)
        .deadLetterTopic("dlt-" + table)
        .maxIdle(Duration.ofMillis(20));
  }

  protected OutboxRelay started(OutboxRelay.Builder builder) {
    OutboxRelay r = builder.build();
    relays.add(r);
    r.start();
    return r;
  }

  protected static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  protected static String text(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  protected List<ConsumerRecord<byte[], byte[]>> published() {
    return TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic);
  }

  protected void awaitPublished(int count) {
    try {
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> published().size() >= count);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "expected "
              + count
              + " records read_committed, saw "
              + published().size()
              + " ("
              + TopicReader.readUncommitted(KAFKA.broker().bootstrapServers(), topic).size()
              + " read_uncommitted)\nread_committed:\n"
              + describe(published())
              + "read_uncommitted:\n"
              + describe(TopicReader.readUncommitted(KAFKA.broker().bootstrapServers(), topic))
              + "relay threads:\n"
              + relayThreads(),
          e);
    }
  }

  /** Each record's place, outbox id and value, for a failure message. */
  private static String describe(List<ConsumerRecord<byte[], byte[]>> records) {
    StringBuilder out = new StringBuilder();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      var id = r.headers().lastHeader(Outbox.ID_HEADER);
      out.append("  ")
          .append(r.partition())
          .append('@')
          .append(r.offset())
          .append(" id=")
          .append(id == null ? null : text(id.value()))
          .append(" value=")
          .append(
              r.value() == null
                  ? null
                  : r.value().length > 40 ? r.value().length + " bytes" : text(r.value()))
          .append('\n');
    }
    return out.toString();
  }

  /** Where the relay and its producer are stuck, for a failure message. */
  private static String relayThreads() {
    StringBuilder out = new StringBuilder();
    Thread.getAllStackTraces()
        .forEach(
            (thread, stack) -> {
              if (thread.getName().startsWith("exactly-outbox-relay")
                  || thread.getName().startsWith("kafka-producer-network-thread")) {
                out.append(thread.getName()).append(' ').append(thread.getState()).append('\n');
                for (StackTraceElement frame : stack) {
                  out.append("    at ").append(frame).append('\n');
                }
              }
            });
    return out.toString();
  }

  /** Writes rows for {@code key} in one transaction and commits or rolls back; returns ids. */
  protected List<Long> writeInTransaction(String key, int rows, boolean commit, int firstSeq)
      throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      for (int i = 0; i < rows; i++) {
        ids.add(outbox.write(c, topic, bytes(key), bytes(key + ":" + (firstSeq + i))));
      }
      if (commit) {
        c.commit();
      } else {
        c.rollback();
      }
      c.setAutoCommit(true);
    }
    return ids;
  }

  @Test
  void committedRowsArePublishedOnceWithTheirIdAndHeadersAndRolledBackOnesNever() throws Exception {
    long committedId;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      committedId =
          outbox.write(
              c,
              topic,
              bytes("k"),
              bytes("v0"),
              Map.of("type", bytes("created"), "empty", new byte[0]));
      c.commit();
      c.setAutoCommit(true);
    }
    List<Long> rolledBack = writeInTransaction("gone", 5, false, 0);
    List<Long> committed = writeInTransaction("k", 20, true, 1);
    started(relay());
    awaitPublished(21);
    Thread.sleep(500); // time for a wrong extra record to show up
    List<ConsumerRecord<byte[], byte[]>> records = published();
    assertThat(records).hasSize(21);
    ConsumerRecord<byte[], byte[]> first =
        records.stream().filter(r -> text(r.value()).equals("v0")).findFirst().orElseThrow();
    assertThat(text(first.headers().lastHeader(Outbox.ID_HEADER).value()))
        .isEqualTo(Long.toString(committedId));
    assertThat(text(first.headers().lastHeader("type").value())).isEqualTo("created");
    assertThat(first.headers().lastHeader("empty").value()).isEmpty();
    assertThat(text(first.key())).isEqualTo("k");
    List<String> ids = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      ids.add(text(r.headers().lastHeader(Outbox.ID_HEADER).value()));
    }
    for (Long id : rolledBack) {
      assertThat(ids).doesNotContain(Long.toString(id));
    }
    List<Input> inputs = new ArrayList<>();
    inputs.add(new Input(Long.toString(committedId), "k", 0));
    for (int i = 0; i < committed.size(); i++) {
      inputs.add(new Input(Long.toString(committed.get(i)), "k", i + 1));
    }
    new ExactlyOnceChecker(inputs)
        .check(new OutboxTopicEffects(KAFKA.broker().bootstrapServers(), topic))
        .assertExactlyOnce();
  }

  /**
   * The classic outbox bug: transaction A takes the lower id, B the higher; B commits and is
   * published first; A commits later and must still be published, not skipped.
   */
  @Test
  void aRowCommittedAfterAHigherIdIsPublishedNotSkipped() throws Exception {
    started(relay());
    try (Connection a = dataSource.getConnection();
        Connection b = dataSource.getConnection()) {
      a.setAutoCommit(false);
      b.setAutoCommit(false);
      long idA = outbox.write(a, topic, bytes("a"), bytes("first-taken"));
      long idB = outbox.write(b, topic, bytes("b"), bytes("second-taken"));
      assertThat(idA).isLessThan(idB);
      b.commit();
      awaitPublished(1);
      // The relay has read past A's id while A is still open: the situation under test.
      assertThat(published()).extracting(r -> text(r.value())).containsExactly("second-taken");
      Thread.sleep(300);
      a.commit();
      awaitPublished(2);
      Thread.sleep(300);
      assertThat(published())
          .extracting(r -> text(r.value()))
          .containsExactlyInAnyOrder("second-taken", "first-taken");
      a.setAutoCommit(true);
      b.setAutoCommit(true);
    }
    // And the relay goes on after it.
    writeInTransaction("c", 3, true, 0);
    awaitPublished(5);
  }

  /**
   * More ids missing at once than the relay awaits one by one: it holds the rows above the jump
   * back until the jump settles, and a row committed inside the jump meanwhile is still published,
   * before them.
   */
  @Test
  void aJumpOfManyIdsIsHeldBackUntilItSettledAndNothingInItIsSkipped() throws Exception {
    started(relay().gapTimeout(Duration.ofSeconds(1)));
    long first = writeInTransaction("k", 1, true, 0).get(0);
    awaitPublished(1);
    long inJump = first + 5;
    long beyond = first + OutboxReader.MAX_GAP_RUN + 100;
    try (Connection open = dataSource.getConnection();
        Connection c = dataSource.getConnection()) {
      open.setAutoCommit(false);
      insertWithId(open, inJump, "in-jump");
      insertWithId(c, beyond, "beyond-jump");
      Thread.sleep(300);
      open.commit();
      open.setAutoCommit(true);
    }
    if (!jumpSettlesPromptly()) {
      awaitPublished(2);
      assertThat(published()).extracting(r -> text(r.value())).startsWith("k:0", "in-jump");
      return;
    }
    awaitPublished(3);
    Thread.sleep(300);
    assertThat(published())
        .extracting(r -> text(r.value()))
        .containsExactly("k:0", "in-jump", "beyond-jump");
  }

  private void insertWithId(Connection c, long id, String value) throws SQLException {
    try (var ps =
        c.prepareStatement(
            "INSERT INTO "
                + table
                + " (id, topic, msg_key, msg_value, headers, created_at)"
                + " VALUES (?, ?, ?, ?, NULL, ?)")) {
      ps.setLong(1, id);
      ps.setString(2, topic);
      ps.setBytes(3, bytes("k"));
      ps.setBytes(4, bytes(value));
      ps.setLong(5, System.currentTimeMillis());
      ps.executeUpdate();
    }
  }

  @Test
  void aRolledBackIdIsGivenUpAndPublishingGoesOn() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    started(relay().meterRegistry(meters).instanceId("i1").gapTimeout(Duration.ofMillis(500)));
    try (Connection a = dataSource.getConnection()) {
      a.setAutoCommit(false);
      outbox.write(a, topic, bytes("x"), bytes("rolled-back"));
      writeInTransaction("k", 2, true, 0);
      awaitPublished(2);
      a.rollback();
      a.setAutoCommit(true);
    }
    if (jumpSettlesPromptly()) {
      await()
          .atMost(WAIT)
          .until(
              // Proven rolled back where the database shows open transactions, timed out on H2.
              () ->
                  meters.counter("exactly.outbox.gaps.abandoned", relayTags()).count()
                          + meters.counter("exactly.outbox.gaps.timed.out", relayTags()).count()
                      >= 1);
    }
    writeInTransaction("k", 2, true, 2);
    awaitPublished(4);
    Thread.sleep(300);
    assertThat(published()).extracting(r -> text(r.value())).doesNotContain("rolled-back");
    assertThat(meters.counter("exactly.records.committed", relayTags()).count()).isEqualTo(4.0);
    assertThat(meters.timer("exactly.outbox.latency", relayTags()).count()).isEqualTo(4);
  }

  /** The tags of the relay's meters in {@code aRolledBackIdIsGivenUpAndPublishingGoesOn}. */
  private java.util.List<io.micrometer.core.instrument.Tag> relayTags() {
    return io.micrometer.core.instrument.Tags.of(
            "component", "outbox-relay", "group", table, "instance", "i1")
        .stream()
        .toList();
  }

  @Test
  void aRestartedRelayGoesOnFromItsCommittedPositionWithoutRepeats() throws Exception {
    List<Long> first = writeInTransaction("k", 10, true, 0);
    OutboxRelay one = started(relay());
    awaitPublished(10);
    assertThat(one.close(Duration.ofSeconds(30))).isTrue();
    assertThat(one.state()).isEqualTo(ComponentState.CLOSED);
    List<Long> second = writeInTransaction("k", 10, true, 10);
    started(relay());
    awaitPublished(20);
    Thread.sleep(500);
    List<Input> inputs = new ArrayList<>();
    List<Long> all = new ArrayList<>(first);
    all.addAll(second);
    for (int i = 0; i < all.size(); i++) {
      inputs.add(new Input(Long.toString(all.get(i)), "k", i));
    }
    new ExactlyOnceChecker(inputs)
        .check(new OutboxTopicEffects(KAFKA.broker().bootstrapServers(), topic))
        .assertExactlyOnce();
  }

  @Test
  void twoRelaysAtOncePublishNoRowTwice() throws Exception {
    started(relay());
    started(relay());
    int writers = 4;
    int perWriter = 100;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<List<Long>>> futures = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      String key = "w" + w;
      futures.add(
          pool.submit(
              () -> {
                List<Long> ids = new ArrayList<>();
                for (int i = 0; i < perWriter; i += 5) {
                  ids.addAll(writeInTransaction(key, 5, true, i));
                }
                return ids;
              }));
    }
    List<Input> inputs = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      List<Long> ids = futures.get(w).get();
      for (int i = 0; i < ids.size(); i++) {
        inputs.add(new Input(Long.toString(ids.get(i)), "w" + w, i));
      }
    }
    pool.shutdown();
    awaitPublished(writers * perWriter);
    Thread.sleep(500);
    new ExactlyOnceChecker(inputs)
        .check(new OutboxTopicEffects(KAFKA.broker().bootstrapServers(), topic))
        .assertExactlyOnce();
  }

  @Test
  void twoRelaysWithOneNamePublishEveryRowOnce() throws Exception {
    if (hasSessionLocks()) {
      aSecondRelayWaitsInStandbyAndTakesOverWhenTheFirstStops();
    } else {
      withoutSessionLocksTwoRelaysFenceEachOtherAndLoseNothing();
    }
  }

  /**
   * H2 has no session lock to elect one relay, so both run and each {@code initTransactions} fences
   * the other's open transaction: wasteful (docs/outbox.md says to run one), but every row must
   * still reach Kafka exactly once, in order per key.
   */
  private void withoutSessionLocksTwoRelaysFenceEachOtherAndLoseNothing() throws Exception {
    OutboxRelay one = started(relay());
    OutboxRelay two = started(relay());
    List<Input> inputs = new ArrayList<>();
    for (int i = 0; i < 40; i += 5) {
      List<Long> ids = writeInTransaction("k", 5, true, i);
      for (int j = 0; j < ids.size(); j++) {
        inputs.add(new Input(Long.toString(ids.get(j)), "k", i + j));
      }
      Thread.sleep(50); // spread the writes over the relays' turns
    }
    awaitPublished(inputs.size());
    assertThat(one.close(Duration.ofSeconds(30))).isTrue();
    assertThat(two.close(Duration.ofSeconds(30))).isTrue();
    new ExactlyOnceChecker(inputs)
        .check(new OutboxTopicEffects(KAFKA.broker().bootstrapServers(), topic))
        .assertExactlyOnce();
  }

  private void aSecondRelayWaitsInStandbyAndTakesOverWhenTheFirstStops() throws Exception {
    OutboxRelay one = started(relay());
    await().atMost(WAIT).until(() -> one.state() == ComponentState.RUNNING);
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    OutboxRelay two = started(relay().ticker(clock));
    writeInTransaction("k", 5, true, 0);
    awaitPublished(5);
    await().atMost(WAIT).until(() -> clock.sleepers() > 0); // two waits to try the lock again
    clock.advance(Duration.ofSeconds(1));
    clock.awaitIdle(WAIT); // two has tried again, found the lock held, and waits once more
    assertThat(two.state()).isEqualTo(ComponentState.STANDBY);
    assertThat(one.close(Duration.ofSeconds(30))).isTrue();
    await().atMost(WAIT).until(() -> ticked(clock, () -> two.state() == ComponentState.RUNNING));
    writeInTransaction("k", 5, true, 5);
    await().atMost(WAIT).until(() -> ticked(clock, () -> published().size() >= 10));
    Thread.sleep(300);
    assertThat(published()).hasSize(10);
  }

  /**
   * Cleanup runs every cleanupInterval of the relay's ticker and deletes published rows older than
   * the retention: driven by a fake clock, so neither the interval nor the retention is slept.
   */
  @Test
  void publishedRowsAreDeletedAfterTheRetentionOnTheCleanupCadence() throws Exception {
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    outbox = Outbox.builder().table(table).ticker(clock).build();
    writeInTransaction("k", 30, true, 0);
    started(
        relay()
            .ticker(clock)
            .retention(Duration.ofMinutes(10))
            .cleanupInterval(Duration.ofSeconds(10))
            .cleanupBatchSize(7));
    awaitPublished(30);
    // Cleanup is due, but the rows are younger than the retention.
    clock.advance(Duration.ofMinutes(10).minusSeconds(1));
    assertNothingDeletedOnceIdle(clock, 30);
    // Older than the retention now, but the next cleanup is not due for 8 more seconds.
    clock.advance(Duration.ofSeconds(2));
    assertNothingDeletedOnceIdle(clock, 30);
    clock.advance(Duration.ofSeconds(10));
    await().atMost(WAIT).until(() -> rowCount() == 0);
    writeInTransaction("k", 5, true, 30);
    clock.advance(Duration.ofSeconds(1)); // the next poll
    awaitPublished(35);
    clock.advance(Duration.ofMinutes(11));
    await().atMost(WAIT).until(() -> rowCount() == 0);
    assertThat(published()).hasSize(35);
  }

  /**
   * Moves {@code clock} on by a second, then reads {@code condition}: for awaiting on a fake clock.
   */
  private static boolean ticked(FakeClock clock, Callable<Boolean> condition) throws Exception {
    clock.advance(Duration.ofSeconds(1));
    return condition.call();
  }

  /**
   * Once the relay has looked at the moved clock and waits again, no row may be gone. A relay that
   * LISTENs waits on its database, not on the clock, so it gives no such moment; the databases
   * without notifications check the cadence.
   */
  private void assertNothingDeletedOnceIdle(FakeClock clock, long rows) throws Exception {
    if (!wakesOnWrite()) {
      clock.awaitIdle(WAIT);
      assertThat(rowCount()).isEqualTo(rows);
    }
  }

  /**
   * Without notifications an idle relay polls when its ticker says so: a row written while it waits
   * is published only once the fake clock moves past the wait.
   */
  @Test
  void anIdleRelayPollsAgainWhenItsTickerHasMovedOn() throws Exception {
    assumeFalse(wakesOnWrite(), "writes wake this database's relay at once");
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    started(relay().ticker(clock).maxIdle(Duration.ofSeconds(5)));
    await().atMost(WAIT).until(() -> clock.sleepers() > 0); // found nothing, idling
    writeInTransaction("k", 1, true, 0);
    clock.advance(Duration.ZERO);
    clock.awaitIdle(WAIT); // the relay has seen the time since the write and still waits
    assertThat(published()).isEmpty();
    clock.advance(Duration.ofMillis(1)); // the first idle wait is 1 ms
    awaitPublished(1);
    await().atMost(WAIT).until(() -> clock.sleepers() > 0);
    writeInTransaction("k", 1, true, 1);
    clock.advance(Duration.ZERO);
    clock.awaitIdle(WAIT);
    assertThat(published()).hasSize(1);
    clock.advance(Duration.ofSeconds(5)); // at most maxIdle, whatever the back-off reached
    awaitPublished(2);
  }

  /** Rows k:0 and k:1, a 20 KB row, then k:2 and k:3; returns the large row's id. */
  private long writeARowTooLargeBetweenGoodOnes() throws SQLException {
    writeInTransaction("k", 2, true, 0);
    long big;
    try (Connection c = dataSource.getConnection()) {
      big = outbox.write(c, topic, bytes("k"), new byte[20_000]);
    }
    writeInTransaction("k", 2, true, 2);
    return big;
  }

  /** Relay Kafka settings under which the producer refuses the 20 KB row for good. */
  private static Map<String, Object> refusingRowsOver10Kb() {
    Map<String, Object> kafka = new HashMap<>();
    kafka.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    kafka.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 10_000);
    return kafka;
  }

  @Test
  void aRowKafkaRefusesGoesToTheDeadLetterTopicAndDoesNotBlockOthers() throws Exception {
    long big = writeARowTooLargeBetweenGoodOnes();
    Map<String, Object> kafka = refusingRowsOver10Kb();
    started(relay().kafkaProperties(kafka));
    awaitPublished(4);
    String bootstrap = KAFKA.broker().bootstrapServers();
    await()
        .atMost(WAIT)
        .until(() -> TopicReader.readCommitted(bootstrap, "dlt-" + table).size() == 1);
    ConsumerRecord<byte[], byte[]> dead =
        TopicReader.readCommitted(bootstrap, "dlt-" + table).get(0);
    assertThat(text(dead.headers().lastHeader(Outbox.ID_HEADER).value()))
        .isEqualTo(Long.toString(big));
    assertThat(text(dead.headers().lastHeader(DeadLetterHeaders.DESTINATION_TOPIC).value()))
        .isEqualTo(topic);
    assertThat(text(dead.headers().lastHeader(DeadLetterHeaders.EXCEPTION_CLASS).value()))
        .contains("RecordTooLarge");
    assertThat(published()).hasSize(4);
  }

  /**
   * Kafka fails the records that were waiting to be sent with the refused row's own exception when
   * the transaction goes into error (the sender aborts them with its last error), so an exception
   * in a record's callback does not say the record itself was refused. The pause lets the sender
   * run between the refusal and the next send, and the linger keeps the rows before the refused one
   * waiting, as they were in a CI run where two good rows went to the dead-letter topic.
   */
  @Test
  void theRowsFailedTogetherWithARefusedRowArePublishedNotDeadLettered() throws Exception {
    long big = writeARowTooLargeBetweenGoodOnes();
    Map<String, Object> kafka = refusingRowsOver10Kb();
    kafka.put(ProducerConfig.LINGER_MS_CONFIG, 100);
    kafka.put(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, PauseBeforeValue.class.getName());
    PauseBeforeValue.PAUSED.set(false);
    started(relay().kafkaProperties(kafka));
    awaitPublished(4);
    assertThat(PauseBeforeValue.PAUSED).isTrue();
    String bootstrap = KAFKA.broker().bootstrapServers();
    await()
        .atMost(WAIT)
        .until(() -> !TopicReader.readCommitted(bootstrap, "dlt-" + table).isEmpty());
    assertThat(TopicReader.readCommitted(bootstrap, "dlt-" + table))
        .extracting(r -> text(r.headers().lastHeader(Outbox.ID_HEADER).value()))
        .containsExactly(Long.toString(big));
    assertThat(published())
        .extracting(r -> text(r.value()))
        .containsExactly("k:0", "k:1", "k:2", "k:3");
  }

  /**
   * The relay's dead letter keeps the {@link DeadLetterHeaders} contract every component keeps: the
   * row's headers, its id and destination, the time it was written, Kafka's exception, the attempts
   * and a reason code; no consumed-record headers, since the row never was in a topic.
   */
  @Test
  void aRefusedRowsDeadLetterCarriesEveryContractHeader() throws Exception {
    long big;
    try (Connection c = dataSource.getConnection()) {
      big = outbox.write(c, topic, bytes("k"), new byte[20_000], Map.of("type", bytes("created")));
    }
    long createdAt = createdAt(big);
    started(relay().kafkaProperties(refusingRowsOver10Kb()));
    String bootstrap = KAFKA.broker().bootstrapServers();
    await()
        .atMost(WAIT)
        .until(() -> TopicReader.readCommitted(bootstrap, "dlt-" + table).size() == 1);
    ConsumerRecord<byte[], byte[]> dead =
        TopicReader.readCommitted(bootstrap, "dlt-" + table).get(0);
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    dead.headers().forEach(h -> headers.put(h.key(), text(h.value())));
    assertThat(headers)
        .containsOnlyKeys(
            Outbox.ID_HEADER,
            "type",
            DeadLetterHeaders.OUTBOX_ID,
            DeadLetterHeaders.DESTINATION_TOPIC,
            DeadLetterHeaders.TIMESTAMP,
            DeadLetterHeaders.EXCEPTION_CLASS,
            DeadLetterHeaders.EXCEPTION_MESSAGE,
            DeadLetterHeaders.ATTEMPTS,
            DeadLetterHeaders.REASON);
    assertThat(dead.headers().toArray()).hasSize(headers.size());
    assertThat(headers.get(Outbox.ID_HEADER)).isEqualTo(Long.toString(big));
    assertThat(headers.get("type")).isEqualTo("created");
    assertThat(headers.get(DeadLetterHeaders.OUTBOX_ID)).isEqualTo(Long.toString(big));
    assertThat(headers.get(DeadLetterHeaders.DESTINATION_TOPIC)).isEqualTo(topic);
    assertThat(headers.get(DeadLetterHeaders.TIMESTAMP)).isEqualTo(Long.toString(createdAt));
    assertThat(headers.get(DeadLetterHeaders.EXCEPTION_CLASS))
        .isEqualTo(org.apache.kafka.common.errors.RecordTooLargeException.class.getName());
    assertThat(headers.get(DeadLetterHeaders.EXCEPTION_MESSAGE))
        .isNotEqualTo("null")
        .contains("max.request.size");
    assertThat(headers.get(DeadLetterHeaders.ATTEMPTS)).isEqualTo("1");
    assertThat(headers.get(DeadLetterHeaders.REASON))
        .isEqualTo(dev.exactly.DeadLetterReason.REFUSED_BY_KAFKA.code());
    assertThat(text(dead.key())).isEqualTo("k");
    assertThat(dead.value()).as("a value too large for the topic is dropped").isNull();
  }

  private long createdAt(long id) throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT created_at FROM " + table + " WHERE id = " + id)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Another producer taking the relay's {@code transactional.id} fences it: the relay must stop
   * (another instance owns the name now), not fence the newcomer back in an endless retry loop.
   */
  @Test
  void aRelayFencedByAnotherProducerWithItsTransactionalIdStopsFenced() throws Exception {
    OutboxRelay relay = started(relay());
    writeInTransaction("k", 1, true, 0);
    awaitPublished(1);
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "exactly-outbox-" + table);
    props.put(
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
        org.apache.kafka.common.serialization.ByteArraySerializer.class);
    props.put(
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
        org.apache.kafka.common.serialization.ByteArraySerializer.class);
    try (var fencer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(props)) {
      fencer.initTransactions();
      writeInTransaction("k", 1, true, 1);
      String thread = "exactly-outbox-relay-" + table;
      await()
          .atMost(WAIT)
          .until(
              () ->
                  Thread.getAllStackTraces().keySet().stream()
                      .noneMatch(t -> t.getName().equals(thread)));
      assertThat(relay.state()).isEqualTo(ComponentState.FENCED);
      assertThat(relay.failure()).get().matches(Failures::isFenced, "is a fencing");
      Thread.sleep(1000); // time for a wrong retry to publish the second row
      assertThat(published()).as("the fenced relay took its transactional.id back").hasSize(1);
      assertThat(relay.state()).isEqualTo(ComponentState.FENCED);
      assertThat(relay.close(Duration.ofSeconds(5))).isTrue();
      assertThat(relay.state()).as("fenced is final").isEqualTo(ComponentState.FENCED);
    }
  }

  protected long rowCount() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
