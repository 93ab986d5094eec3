package dev.exactly.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ConfigurationException;
import dev.exactly.RetryPolicy;
import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.IdempotentRecord;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.FakeClock;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.TopicWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The idempotent consumer with a transactional handler on a real broker and H2: a failed attempt or
 * a lost claim commits none of the handler's writes.
 */
class TransactionalHandlerTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration LEASE = Duration.ofSeconds(10);
  private static final AtomicInteger RUNS = new AtomicInteger();

  private final String run = "txh" + ProcessHandle.current().pid() + "x" + RUNS.incrementAndGet();
  private final String topic = "tx-in-" + run;
  private final String group = "tx-g-" + run;
  private final String effects = "effects_" + run;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private HikariDataSource ds;
  private IdempotentConsumer consumer;

  @BeforeEach
  void setUp() throws SQLException {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl("jdbc:h2:mem:" + run + ";DB_CLOSE_DELAY=-1");
    c.setMaximumPoolSize(4);
    ds = new HikariDataSource(c);
    try (Connection conn = ds.getConnection();
        Statement s = conn.createStatement()) {
      s.execute("CREATE TABLE " + effects + " (record_key VARCHAR(64), note VARCHAR(64))");
    }
  }

  @AfterEach
  void tearDown() {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(30));
    }
    ds.close();
  }

  @Test
  void aFailedAttemptRollsBackItsWritesThenTheRecordIsRetriedOrDeadLettered() throws Exception {
    send("ok-1", "flaky", "bad", "ok-2");
    JdbcDedupStore store = JdbcDedupStore.builder(ds).table("dedup_" + run).build();
    Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    consumer =
        builder(store)
            .retry(RetryPolicy.fixed(3, Duration.ofMillis(10)))
            .transactionalHandler(
                (r, c) -> {
                  int attempt =
                      attempts.computeIfAbsent(r.key(), k -> new AtomicInteger()).incrementAndGet();
                  insert(c, r, "attempt " + attempt);
                  // Both fail after writing: those writes must not survive.
                  if (r.key().equals("bad") || (r.key().equals("flaky") && attempt == 1)) {
                    throw new IllegalStateException("failed after writing, attempt " + attempt);
                  }
                })
            .build()
            .start();
    await().atMost(WAIT).until(() -> count("exactly.dedup.claims") >= 3);
    List<String> deadLetters =
        await()
            .atMost(WAIT)
            .until(
                () ->
                    TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic + ".dlt")
                        .stream()
                        .map(d -> new String(d.key(), StandardCharsets.UTF_8))
                        .toList(),
                keys -> !keys.isEmpty());
    assertThat(deadLetters).containsExactly("bad");
    assertThat(attempts.get("bad")).hasValue(3);
    assertThat(notes("ok-1")).containsExactly("attempt 1");
    assertThat(notes("ok-2")).containsExactly("attempt 1");
    assertThat(notes("flaky")).containsExactly("attempt 2");
    assertThat(notes("bad")).isEmpty();
    // The dead-lettered key was released, not completed: a later delivery may act on it.
    assertThat(store.claim(List.of(group + ":bad"), LEASE).get(group + ":bad"))
        .isInstanceOf(Claim.Claimed.class);
  }

  @Test
  void aClaimTakenOverBetweenAttemptsWritesNothingAndTheTakerWins() throws Exception {
    send("k");
    FakeClock clock = FakeClock.atEpochPlusOneYear();
    JdbcDedupStore store = JdbcDedupStore.builder(ds).table("dedup_" + run).ticker(clock).build();
    AtomicInteger attempts = new AtomicInteger();
    consumer =
        builder(store)
            .ticker(clock)
            .retry(RetryPolicy.fixed(2, Duration.ofSeconds(1)))
            .transactionalHandler(
                (r, c) -> {
                  insert(c, r, "attempt " + attempts.incrementAndGet());
                  throw new IllegalStateException("fails once; the retry finds the claim gone");
                })
            .build()
            .start();
    // The first attempt rolled back and the consumer waits out its retry backoff on the clock.
    await().atMost(WAIT).until(() -> attempts.get() == 1 && clock.sleepers() > 0);

    // Meanwhile another instance, whose clock is past the lease, takes the key over.
    FakeClock later = FakeClock.atEpochPlusOneYear();
    later.advance(LEASE.plusSeconds(1));
    JdbcDedupStore other = JdbcDedupStore.builder(ds).table("dedup_" + run).ticker(later).build();
    Claim.Claimed theirs =
        (Claim.Claimed) other.claim(List.of(group + ":k"), LEASE).get(group + ":k");

    clock.advance(Duration.ofSeconds(1));
    await().atMost(WAIT).until(() -> count("exactly.dedup.leases.lost") == 1);
    assertThat(attempts).as("the retry found the claim gone and did not run").hasValue(1);
    assertThat(notes("k")).isEmpty();

    assertThat(
            other.completeWith(
                theirs,
                Duration.ofDays(1),
                c -> {
                  try (PreparedStatement ps =
                      c.prepareStatement("INSERT INTO " + effects + " VALUES ('k', 'taker')")) {
                    ps.executeUpdate();
                  }
                  return null;
                }))
        .isTrue();
    // Past the taker's lease, the paused partition is polled again and finds the key done.
    clock.advance(LEASE.plusSeconds(1));
    await().atMost(WAIT).until(() -> count("exactly.dedup.duplicates.skipped") == 1);
    assertThat(notes("k")).containsExactly("taker");
  }

  @Test
  void buildRefusesATransactionalHandlerWithAStoreThatCannotShareTheTransaction() {
    IdempotentConsumer.Builder<String, String> b =
        builder(InMemoryDedupStore.create(10)).transactionalHandler((r, c) -> {});
    assertThatThrownBy(b::build)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("dedup.store")
        .hasMessageContaining("TransactionalDedupStore");
  }

  private IdempotentConsumer.Builder<String, String> builder(DedupStore store) {
    return IdempotentConsumer.builder(
            Map.of("bootstrap.servers", KAFKA.broker().bootstrapServers(), "max.poll.records", 10))
        .createTopics(true)
        .groupId(group)
        .input(topic, new StringDeserializer(), new StringDeserializer())
        .dedupKey(DedupKey.recordKey())
        .store(store)
        .lease(LEASE)
        .meterRegistry(meters);
  }

  private void send(String... keys) {
    KAFKA.broker().createTopic(topic, 1);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (String k : keys) {
        records.add(new ProducerRecord<>(topic, k, k));
      }
      TopicWriter.sendAll(producer, records);
    }
  }

  private void insert(Connection c, IdempotentRecord<String, String> r, String note)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO " + effects + " (record_key, note) VALUES (?, ?)")) {
      ps.setString(1, r.key());
      ps.setString(2, note);
      ps.executeUpdate();
    }
  }

  private List<String> notes(String key) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT note FROM " + effects + " WHERE record_key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  private double count(String name) {
    return meters.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
  }
}
