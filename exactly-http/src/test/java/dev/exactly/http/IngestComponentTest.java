package dev.exactly.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ConfigurationException;
import dev.exactly.testkit.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The component called directly, as a web framework would, on H2: retention and purge on a fake
 * clock, the meters, key parsing and the builder's checks.
 */
class IngestComponentTest {
  private static final String URL = "jdbc:h2:mem:component;DB_CLOSE_DELAY=-1";
  private final FakeClock clock = FakeClock.atEpochPlusOneYear();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private IdempotentIngest ingest;

  private static DataSource dataSource() {
    org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
    ds.setURL(URL);
    return ds;
  }

  @BeforeEach
  void setUp() throws SQLException {
    ingest =
        IdempotentIngest.builder()
            .dataSource(dataSource())
            .route("/orders", "orders", "/order/id")
            .ticker(clock)
            .meterRegistry(registry)
            .build();
    ingest.createTablesIfAbsent();
  }

  @AfterEach
  void tearDown() throws SQLException {
    try (Connection c = DriverManager.getConnection(URL);
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE exactly_idempotency");
      s.execute("DROP TABLE exactly_outbox");
    }
  }

  private HttpResponse post(String key, String body) {
    return ingest.handle(
        HttpRequest.of(
            "POST",
            "/orders",
            key == null
                ? Map.of("content-type", "application/json; charset=utf-8")
                : Map.of("content-type", "application/json", "idempotency-key", key),
            body.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aKeyIsReplayedWithinRetentionAndNewAfterThePurge() throws SQLException {
    String body = "{\"order\":{\"id\":7}}";
    assertThat(post("\"k\"", body).status()).isEqualTo(202);
    clock.advance(Duration.ofHours(23));
    assertThat(ingest.purge()).isZero();
    assertThat(post("\"k\"", body).replayed()).isTrue();
    clock.advance(Duration.ofHours(2));
    assertThat(ingest.purge()).isEqualTo(1);
    HttpResponse fresh = post("\"k\"", body);
    assertThat(fresh.status()).isEqualTo(202);
    assertThat(fresh.replayed()).isFalse();
    assertThat(fresh.bodyText()).contains("\"key\":\"7\"");
  }

  @Test
  void concurrentCallsOfOneKeyWriteOneOutboxRowAndNeverFail() throws Exception {
    // A 1 ms lock wait provokes every path: replays, 409s, and H2's concurrent-update error for
    // an insert that waited on a transaction that then committed.
    IdempotentIngest eager =
        IdempotentIngest.builder()
            .dataSource(dataSource())
            .route("/orders", "orders", "/order/id")
            .inFlightWait(Duration.ZERO)
            .build();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(50);
    try {
      for (int round = 0; round < 5; round++) {
        String key = "\"c-" + round + "\"";
        java.util.List<java.util.concurrent.Future<HttpResponse>> answers =
            new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
          answers.add(
              pool.submit(
                  () ->
                      eager.handle(
                          HttpRequest.of(
                              "POST",
                              "/orders",
                              Map.of("content-type", "application/json", "idempotency-key", key),
                              "{\"order\":{\"id\":1}}".getBytes(StandardCharsets.UTF_8)))));
        }
        int fresh = 0;
        for (java.util.concurrent.Future<HttpResponse> f : answers) {
          HttpResponse r = f.get();
          assertThat(r.status()).as(r.bodyText()).isIn(202, 409);
          if (r.status() == 202 && !r.replayed()) {
            fresh++;
          }
        }
        assertThat(fresh).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
    try (Connection c = DriverManager.getConnection(URL);
        Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM exactly_outbox")) {
      rs.next();
      assertThat(rs.getLong(1)).as("one outbox row per key").isEqualTo(5);
    }
  }

  @Test
  void concurrentRequestsShareACommitAndAFailedOneRollsBackAlone() throws Exception {
    // Every request's hook waits a little, so requests pile up behind a commit and share the next;
    // every 4th is refused by its hook, every 7th (not 4th) fails in it with an SQL error.
    IdempotentIngest grouped =
        IdempotentIngest.builder()
            .dataSource(dataSource())
            .route("/orders", "orders", "/order/id")
            .meterRegistry(registry)
            .hook(
                (connection, context) -> {
                  int id = Integer.parseInt(context.recordKey());
                  try {
                    Thread.sleep(2);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  try (Statement s = connection.createStatement()) {
                    s.execute("INSERT INTO hook_rows VALUES (" + id + ")");
                  }
                  if (id % 4 == 0) {
                    throw new IngestRejection(409, "Out of stock", "order " + id);
                  }
                  if (id % 7 == 0) {
                    throw new SQLException("the hook failed for order " + id);
                  }
                })
            .build();
    try (Connection c = DriverManager.getConnection(URL);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE hook_rows (id INT PRIMARY KEY)");
    }
    int n = 96;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(32);
    java.util.Map<Integer, Integer> statuses = new java.util.concurrent.ConcurrentHashMap<>();
    try {
      java.util.List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
      for (int i = 1; i <= n; i++) {
        int id = i;
        sent.add(
            pool.submit(
                () ->
                    statuses.put(
                        id,
                        grouped
                            .handle(
                                HttpRequest.of(
                                    "POST",
                                    "/orders",
                                    Map.of(
                                        "content-type",
                                        "application/json",
                                        "idempotency-key",
                                        "\"g-" + id + "\""),
                                    ("{\"order\":{\"id\":\"" + id + "\"}}")
                                        .getBytes(StandardCharsets.UTF_8)))
                            .status())));
      }
      for (java.util.concurrent.Future<?> f : sent) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    java.util.Set<Integer> accepted = new java.util.TreeSet<>();
    for (int id = 1; id <= n; id++) {
      int expected = id % 4 == 0 ? 409 : id % 7 == 0 ? 500 : 202;
      assertThat(statuses.get(id)).as("order " + id).isEqualTo(expected);
      if (expected == 202) {
        accepted.add(id);
      }
    }
    try (Connection c = DriverManager.getConnection(URL);
        Statement s = c.createStatement()) {
      assertThat(ids(s, "SELECT CAST(msg_key AS VARCHAR) FROM exactly_outbox"))
          .as("an outbox row for each accepted order and none other")
          .isEqualTo(accepted);
      assertThat(ids(s, "SELECT id FROM hook_rows"))
          .as("the hook's rows of accepted orders only")
          .isEqualTo(accepted);
      // A refused request keeps its key with the refusal (replayed on retry); a failed one nothing.
      assertThat(count(s, "SELECT COUNT(*) FROM exactly_idempotency"))
          .isEqualTo(accepted.size() + n / 4);
      s.execute("DROP TABLE hook_rows");
    }
    io.micrometer.core.instrument.DistributionSummary groups =
        registry.get("exactly.http.commit.group").summary();
    assertThat(groups.max()).as("requests shared a transaction").isGreaterThan(1);
    assertThat(groups.totalAmount()).isEqualTo(accepted.size() + n / 4);
  }

  private static java.util.Set<Integer> ids(Statement s, String sql) throws SQLException {
    java.util.Set<Integer> out = new java.util.TreeSet<>();
    try (java.sql.ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(Integer.parseInt(rs.getString(1)));
      }
    }
    return out;
  }

  private static long count(Statement s, String sql) throws SQLException {
    try (java.sql.ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void everyBadInputIsRefusedWithItsStatusAndStoresNothing() throws Exception {
    IdempotentIngest strict =
        IdempotentIngest.builder()
            .dataSource(dataSource())
            .route("/orders", "orders", "/order/id")
            .requireKey(true)
            .clientHeader("X-Client")
            .maxBodyBytes(100)
            .build();
    String good = "{\"order\":{\"id\":1}}";
    Object[][] cases = {
      {400, "POST", "/orders", "\"b1\"", "application/json", "{\"order\": "},
      {400, "POST", "/orders", "\"b2\"", "application/json", "{\"x\":1}"},
      {400, "POST", "/orders", "\"b3\"", "application/json", "{\"order\":{\"id\":null}}"},
      {400, "POST", "/orders", "\"b4\"", "application/json", good + " trailing"},
      {400, "POST", "/orders", null, "application/json", good},
      {400, "POST", "/orders", "b6", "application/json", good},
      {400, "POST", "/orders", "\"" + "x".repeat(256) + "\"", "application/json", good},
      {413, "POST", "/orders", "\"b8\"", "application/json", "{\"p\":\"" + "x".repeat(100) + "\"}"},
      {415, "POST", "/orders", "\"b9\"", "text/plain", good},
      {404, "POST", "/other", "\"b10\"", "application/json", good},
      {405, "GET", "/orders", "\"b11\"", "application/json", good},
    };
    for (Object[] c : cases) {
      Map<String, String> headers = new java.util.HashMap<>();
      headers.put("Content-Type", (String) c[4]);
      headers.put("X-Client", "shop");
      if (c[3] != null) {
        headers.put("Idempotency-Key", (String) c[3]);
      }
      HttpResponse r =
          strict.handle(
              HttpRequest.of(
                  (String) c[1],
                  (String) c[2],
                  headers,
                  ((String) c[5]).getBytes(StandardCharsets.UTF_8)));
      AbstractIngestTest.assertProblem(r, (Integer) c[0]);
    }
    HttpResponse noClient =
        strict.handle(
            HttpRequest.of(
                "POST",
                "/orders",
                Map.of("Content-Type", "application/json", "Idempotency-Key", "\"b12\""),
                good.getBytes(StandardCharsets.UTF_8)));
    AbstractIngestTest.assertProblem(noClient, 400);
    try (Connection c = DriverManager.getConnection(URL);
        Statement s = c.createStatement();
        java.sql.ResultSet rs =
            s.executeQuery(
                "SELECT (SELECT COUNT(*) FROM exactly_idempotency)"
                    + " + (SELECT COUNT(*) FROM exactly_outbox)")) {
      rs.next();
      assertThat(rs.getLong(1)).isZero();
    }
  }

  @Test
  void withoutAKeyEachRequestIsAcceptedOnce() {
    assertThat(post(null, "{\"order\":{\"id\":\"a\"}}").status()).isEqualTo(202);
    assertThat(post(null, "{\"order\":{\"id\":\"a\"}}").replayed()).isFalse();
  }

  @Test
  void metersCountOutcomesReplaysAndConflicts() {
    post("\"m\"", "{\"order\":{\"id\":1}}");
    post("\"m\"", "{\"order\":{\"id\":1}}");
    post("\"m\"", "{\"order\":{\"id\":2}}");
    post("\"m\"", "not json");
    assertThat(registry.get("exactly.http.requests").tag("outcome", "accepted").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("exactly.http.requests").tag("outcome", "replayed").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("exactly.http.requests").tag("outcome", "rejected").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("exactly.http.replays").counter().count()).isEqualTo(1);
    assertThat(registry.get("exactly.http.conflicts").tag("reason", "mismatch").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("exactly.http.latency").tag("outcome", "accepted").timer().count())
        .isEqualTo(1);
    // The one accepted request's transaction; the refused ones rolled back and committed nothing.
    assertThat(registry.get("exactly.http.commit.group").summary().totalAmount()).isEqualTo(1);
    assertThat(
            registry.getMeters().stream()
                .map(m -> m.getId().getName())
                .collect(java.util.stream.Collectors.toSet()))
        .as("exactly the meters the catalogue lists for http-ingest")
        .isEqualTo(
            dev.exactly.internal.Metric.of(dev.exactly.internal.Metric.C.HTTP).stream()
                .map(dev.exactly.internal.Metric::meterName)
                .collect(java.util.stream.Collectors.toSet()));
  }

  @Test
  void keysAreStructuredHeaderStringsOfAtMost255Characters() {
    StringBuilder why = new StringBuilder();
    assertThat(KeyHeader.parse(" \"a\\\"b\\\\c\" ", why)).contains("a\"b\\c");
    assertThat(KeyHeader.parse("\"" + "x".repeat(255) + "\"", why)).isPresent();
    for (String bad :
        new String[] {
          "abc", "\"\"", "\"a\"b\"", "\"a\\n\"", "\"" + "x".repeat(256) + "\"", "\"é\""
        }) {
      why.setLength(0);
      assertThat(KeyHeader.parse(bad, why)).as(bad).isEqualTo(Optional.empty());
      assertThat(why).isNotEmpty();
    }
  }

  @Test
  void routesParseAndBadSettingsAreNamed() {
    Route r = Route.parse("/api/orders=orders:/orderId");
    assertThat(r).isEqualTo(new Route("/api/orders", "orders", "/orderId"));
    assertThatThrownBy(() -> Route.parse("/api/orders=orders"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("PATH=TOPIC:POINTER");
    assertThatThrownBy(() -> new Route("/x", "bad topic", "/id"))
        .hasMessageContaining("route.topic");
    assertThatThrownBy(() -> new Route("/x", "t", "id")).hasMessageContaining("route.keyPointer");
    assertThatThrownBy(
            () ->
                IdempotentIngest.builder()
                    .dataSource(dataSource())
                    .route("/x", "t", "/id")
                    .table("x; DROP TABLE y")
                    .build())
        .hasMessageContaining("ingest.table");
    assertThatThrownBy(
            () -> IdempotentIngest.builder().route("/x", "t", "/id").route("/x", "u", "/id"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(
            () ->
                IdempotentIngest.builder()
                    .dataSource(dataSource())
                    .route("/x", "t", "/id")
                    .retention(Duration.ofSeconds(5))
                    .build())
        .hasMessageContaining("ingest.retention");
  }
}
