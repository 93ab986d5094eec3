package dev.exactly.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.jdbc.outbox.OutboxRelay;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
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
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Idempotency-Key semantics on a real server, a real broker and a real database: run for each
 * database by a subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractIngestTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final AtomicInteger IDS = new AtomicInteger();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String suffix =
      getClass().getSimpleName().toLowerCase() + "_" + ProcessHandle.current().pid();
  private final String keyTable = "http_keys_" + suffix;
  private final String outboxTable = "http_outbox_" + suffix;
  private final String topic = "orders-" + suffix;
  private final java.util.concurrent.CountDownLatch slowEntered =
      new java.util.concurrent.CountDownLatch(1);
  private final java.util.concurrent.CountDownLatch slowRelease =
      new java.util.concurrent.CountDownLatch(1);
  private HikariDataSource dataSource;
  private OutboxRelay relay;
  private IngestServer server;
  private Http http;

  protected abstract String jdbcUrl();

  protected String outboxTable() {
    return outboxTable;
  }

  protected void assumeServer() {}

  @BeforeAll
  void start() throws Exception {
    assumeServer();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl());
    config.setMaximumPoolSize(40);
    dataSource = new HikariDataSource(config);
    KAFKA.broker().createTopic(topic, 3);
    IdempotentIngest ingest =
        IdempotentIngest.builder()
            .dataSource(dataSource)
            .table(keyTable)
            .outboxTable(outboxTable)
            .route("/orders", topic, "/orderId")
            .route("/refusing", topic, "/orderId")
            .route("/slow", topic, "/orderId")
            .requireKey(true)
            .clientHeader("X-Client")
            .hook(
                (connection, context) -> {
                  if (context.route().path().equals("/slow")) {
                    slowEntered.countDown();
                    try {
                      slowRelease.await();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                  if (context.route().path().equals("/refusing")) {
                    throw new IngestRejection(
                        409, "Order closed", "order " + context.recordKey() + " is closed");
                  }
                })
            .build();
    ingest.createTablesIfAbsent();
    server = IngestServer.builder().ingest(ingest).port(0).build();
    server.start();
    http = new Http(server.port());
    relay =
        OutboxRelay.builder()
            .dataSource(dataSource)
            .kafkaProperties(Map.of("bootstrap.servers", KAFKA.broker().bootstrapServers()))
            .table(outboxTable)
            .positionTopic("positions-" + suffix)
            .createTopics(true)
            .maxIdle(Duration.ofMillis(20))
            .build();
    relay.start();
  }

  @AfterAll
  void stop() throws SQLException {
    if (relay != null) {
      relay.close(Duration.ofSeconds(10));
    }
    if (server != null) {
      server.close();
    }
    if (dataSource != null) {
      try (Connection c = dataSource.getConnection();
          Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + keyTable);
        s.execute("DROP TABLE IF EXISTS " + outboxTable);
      }
      dataSource.close();
    }
  }

  protected static String unique(String prefix) {
    return prefix + "-" + IDS.incrementAndGet() + "-" + System.nanoTime();
  }

  protected static String order(String orderId) {
    return "{\"orderId\":\"" + orderId + "\",\"amount\":12}";
  }

  protected HttpResponse post(String key, String body) throws Exception {
    return http.post("/orders", Http.quoted(key), body, "X-Client", "shop-1");
  }

  private List<ConsumerRecord<byte[], byte[]>> recordsOf(String orderId) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic)) {
      if (r.key() != null && new String(r.key(), StandardCharsets.UTF_8).equals(orderId)) {
        out.add(r);
      }
    }
    return out;
  }

  /** Waits until the relay published {@code orderId}, then a moment for a wrong second record. */
  private List<ConsumerRecord<byte[], byte[]>> awaitPublished(String orderId) throws Exception {
    await().atMost(Duration.ofSeconds(30)).until(() -> !recordsOf(orderId).isEmpty());
    Thread.sleep(300);
    return recordsOf(orderId);
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private long count(String sql, String value) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      if (value != null) {
        ps.setString(1, value);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void aRetryReplaysTheStoredResponseAndPublishesOnce() throws Exception {
    String orderId = unique("o");
    String key = unique("k");
    HttpResponse first =
        http.post(
            "/orders",
            Http.quoted(key),
            order(orderId),
            "X-Client",
            "shop-1",
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    assertThat(first.status()).isEqualTo(202);
    assertThat(first.replayed()).isFalse();
    String correlation = first.header("correlation-id").orElseThrow();
    JsonNode body = JSON.readTree(first.body());
    assertThat(body.get("topic").asText()).isEqualTo(topic);
    assertThat(body.get("key").asText()).isEqualTo(orderId);
    assertThat(body.get("correlationId").asText()).isEqualTo(correlation);

    HttpResponse again = post(key, order(orderId));
    assertThat(again.status()).isEqualTo(202);
    assertThat(again.replayed()).isTrue();
    assertThat(again.header("correlation-id")).contains(correlation);
    assertThat(again.header("Content-Type")).contains("application/json");
    assertThat(again.bodyText()).isEqualTo(first.bodyText());

    List<ConsumerRecord<byte[], byte[]>> records = awaitPublished(orderId);
    assertThat(records).hasSize(1);
    ConsumerRecord<byte[], byte[]> r = records.get(0);
    assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo(order(orderId));
    assertThat(header(r, "correlation-id")).isEqualTo(correlation);
    assertThat(header(r, "Idempotency-Key")).isEqualTo(key);
    assertThat(header(r, "traceparent"))
        .isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  }

  @Test
  void aCorrelationIdSentIsKept() throws Exception {
    String orderId = unique("o");
    HttpResponse r =
        http.post(
            "/orders",
            Http.quoted(unique("k")),
            order(orderId),
            "X-Client",
            "shop-1",
            "correlation-id",
            "corr-42");
    assertThat(r.status()).isEqualTo(202);
    assertThat(r.header("correlation-id")).contains("corr-42");
    assertThat(header(awaitPublished(orderId).get(0), "correlation-id")).isEqualTo("corr-42");
  }

  @Test
  void aHundredConcurrentSendsOfOneKeyPublishExactlyOneRecord() throws Exception {
    String orderId = unique("o");
    String key = unique("k");
    ExecutorService pool = Executors.newFixedThreadPool(100);
    List<Future<HttpResponse>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        Callable<HttpResponse> send = () -> post(key, order(orderId));
        answers.add(pool.submit(send));
      }
      int fresh = 0;
      int replayed = 0;
      int inFlight = 0;
      for (Future<HttpResponse> f : answers) {
        HttpResponse r = f.get();
        if (r.status() == 202 && !r.replayed()) {
          fresh++;
        } else if (r.status() == 202) {
          replayed++;
        } else {
          assertThat(r.status()).as(r.bodyText()).isEqualTo(409);
          assertThat(r.header("Content-Type")).contains("application/problem+json");
          inFlight++;
        }
      }
      assertThat(fresh).isEqualTo(1);
      assertThat(fresh + replayed + inFlight).isEqualTo(100);
      System.out.println(
          "100 sends of one key: 1 accepted, "
              + replayed
              + " replayed, "
              + inFlight
              + " in flight (409)");
    } finally {
      pool.shutdownNow();
    }
    assertThat(awaitPublished(orderId)).hasSize(1);
  }

  @Test
  void aRetryWhileTheFirstIsInFlightIs409ThenReplays() throws Exception {
    String orderId = unique("slow");
    String key = unique("k");
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<HttpResponse> first =
          pool.submit(
              () -> http.post("/slow", Http.quoted(key), order(orderId), "X-Client", "shop-1"));
      assertThat(slowEntered.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      HttpResponse duplicate =
          http.post("/slow", Http.quoted(key), order(orderId), "X-Client", "shop-1");
      assertProblem(duplicate, 409);
      assertThat(duplicate.header("Retry-After")).contains("1");
      slowRelease.countDown();
      assertThat(first.get().status()).isEqualTo(202);
      assertThat(first.get().replayed()).isFalse();
    } finally {
      slowRelease.countDown();
      pool.shutdownNow();
    }
    HttpResponse after = http.post("/slow", Http.quoted(key), order(orderId), "X-Client", "shop-1");
    assertThat(after.status()).isEqualTo(202);
    assertThat(after.replayed()).isTrue();
    assertThat(awaitPublished(orderId)).hasSize(1);
  }

  @Test
  void theSameKeyWithAnotherPayloadIs422() throws Exception {
    String orderId = unique("o");
    String key = unique("k");
    assertThat(post(key, order(orderId)).status()).isEqualTo(202);
    HttpResponse other = post(key, "{\"orderId\":\"" + orderId + "\",\"amount\":13}");
    assertThat(other.status()).isEqualTo(422);
    assertProblem(other, 422);
    assertThat(awaitPublished(orderId)).hasSize(1);
  }

  @Test
  void twoClientsKeysNeverCollide() throws Exception {
    String key = unique("k");
    String a = unique("a");
    String b = unique("b");
    HttpResponse first = http.post("/orders", Http.quoted(key), order(a), "X-Client", "shop-1");
    HttpResponse second = http.post("/orders", Http.quoted(key), order(b), "X-Client", "shop-2");
    assertThat(first.status()).isEqualTo(202);
    assertThat(second.status()).isEqualTo(202);
    assertThat(second.replayed()).isFalse();
    assertThat(awaitPublished(a)).hasSize(1);
    assertThat(awaitPublished(b)).hasSize(1);
  }

  @Test
  void aRefusalByTheHookIsStoredAndReplayedAndPublishesNothing() throws Exception {
    String orderId = unique("refused");
    String key = unique("k");
    HttpResponse first =
        http.post("/refusing", Http.quoted(key), order(orderId), "X-Client", "shop-1");
    assertProblem(first, 409);
    assertThat(first.bodyText()).contains("order " + orderId + " is closed");
    HttpResponse again =
        http.post("/refusing", Http.quoted(key), order(orderId), "X-Client", "shop-1");
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.replayed()).isTrue();
    assertThat(again.bodyText()).isEqualTo(first.bodyText());
    // A later accepted request is published; the refused one never is.
    String later = unique("o");
    assertThat(post(unique("k"), order(later)).status()).isEqualTo(202);
    awaitPublished(later);
    assertThat(recordsOf(orderId)).isEmpty();
  }

  @Test
  void badInputGetsItsStatusAndLeavesNoRowAndNoRecord() throws Exception {
    long outboxBefore = count("SELECT COUNT(*) FROM " + outboxTable, null);
    String big = "{\"orderId\":\"bad-big\",\"pad\":\"" + "x".repeat(1 << 20) + "\"}";
    record Case(
        int status, String method, String path, String key, String body, String[] headers) {}
    String[] shop = {"X-Client", "shop-1"};
    List<Case> cases =
        List.of(
            new Case(400, "POST", "/orders", Http.quoted("bad-1"), "{\"orderId\": ", shop),
            new Case(400, "POST", "/orders", Http.quoted("bad-2"), "{\"amount\":1}", shop),
            new Case(400, "POST", "/orders", Http.quoted("bad-3"), "{\"orderId\":{\"a\":1}}", shop),
            new Case(400, "POST", "/orders", null, order("bad-4"), shop),
            new Case(400, "POST", "/orders", "bad-5", order("bad-5"), shop),
            new Case(400, "POST", "/orders", Http.quoted("x".repeat(256)), order("bad-6"), shop),
            new Case(400, "POST", "/orders", Http.quoted("bad-7"), order("bad-7"), new String[0]),
            new Case(413, "POST", "/orders", Http.quoted("bad-8"), big, shop),
            new Case(
                415,
                "POST",
                "/orders",
                Http.quoted("bad-9"),
                order("bad-9"),
                new String[] {"X-Client", "shop-1", "Content-Type", "text/plain"}),
            new Case(404, "POST", "/nowhere", Http.quoted("bad-10"), order("bad-10"), shop),
            new Case(405, "PUT", "/orders", Http.quoted("bad-11"), order("bad-11"), shop));
    for (Case c : cases) {
      HttpResponse r =
          http.send(
              c.method(),
              c.path(),
              c.key(),
              c.body().getBytes(StandardCharsets.UTF_8),
              c.headers());
      assertProblem(r, c.status());
      if (c.status() == 405) {
        assertThat(r.header("Allow")).contains("POST");
      }
    }
    String later = unique("o");
    assertThat(post(unique("k"), order(later)).status()).isEqualTo(202);
    awaitPublished(later);
    assertThat(count("SELECT COUNT(*) FROM " + keyTable + " WHERE idem_key LIKE 'bad-%'", null))
        .isZero();
    assertThat(count("SELECT COUNT(*) FROM " + outboxTable, null)).isEqualTo(outboxBefore + 1);
    for (ConsumerRecord<byte[], byte[]> r :
        TopicReader.readCommitted(KAFKA.broker().bootstrapServers(), topic)) {
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).doesNotStartWith("bad-");
    }
  }

  static void assertProblem(HttpResponse r, int status) throws Exception {
    assertThat(r.status()).as(r.bodyText()).isEqualTo(status);
    assertThat(r.header("Content-Type")).contains("application/problem+json");
    JsonNode p = JSON.readTree(r.body());
    assertThat(p.get("status").asInt()).isEqualTo(status);
    assertThat(p.get("type").asText()).startsWith("https://exactly.dev/problems/");
    assertThat(p.get("title").asText()).isNotBlank();
    assertThat(p.get("detail").asText()).isNotBlank();
    assertThat(r.bodyText()).doesNotContain("Exception").doesNotContain("\tat ");
  }
}
