package dev.exactly.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The statements and error classification of one dialect, on its real database: the rows the
 * statements leave, and the kind read from errors the database really raises.
 */
abstract class AbstractDialectTest {
  private static final AtomicInteger TABLES = new AtomicInteger();

  protected String table;
  private final List<Connection> open = new ArrayList<>();

  /** A new connection to the database under test, auto-commit on. */
  protected abstract Connection connect() throws SQLException;

  protected abstract Dialect expectedDialect();

  /** Makes lock waits on {@code c} give up within about a second. */
  protected abstract void shortLockTimeout(Connection c) throws SQLException;

  /** Ends {@code victim}'s session from the server side, using {@code killer}. */
  protected abstract void killSession(Connection victim, Connection killer) throws SQLException;

  protected Connection open() throws SQLException {
    Connection c = connect();
    open.add(c);
    return c;
  }

  @BeforeEach
  void createTable() throws SQLException {
    table = "dialect_t" + ProcessHandle.current().pid() + "_" + TABLES.incrementAndGet();
    Dialect d = expectedDialect();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String ddl :
          d.createTableIfAbsent(
              table,
              List.of(
                  Column.key("k", 200),
                  Column.text("v", 100, true),
                  Column.bigint("expires_at", false),
                  Column.bigint("now_at", false),
                  Column.bytes("payload", true)),
              List.of("k"),
              List.of(new Dialect.Index(table + "_exp", List.of("expires_at"))))) {
        s.execute(ddl);
      }
    }
  }

  @AfterEach
  void dropTable() throws SQLException {
    for (Connection c : open) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // a killed session may refuse even to close
      }
    }
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
    }
  }

  @Test
  void detectsTheDialectFromConnectionMetadata() throws SQLException {
    assertThat(Dialect.of(open())).isSameAs(expectedDialect());
  }

  @Test
  void createTableIfAbsentRunsTwiceWithoutError() throws SQLException {
    createTable();
    assertThat(rows()).isEmpty();
  }

  @Test
  void insertIfAbsentInsertsOnlyNewKeysAndLeavesExistingRowsAlone() throws SQLException {
    insert(expectedDialect().insertIfAbsent(table, cols(), List.of("k"), 2), "a", "1", "b", "1");
    insert(
        expectedDialect().insertIfAbsent(table, cols(), List.of("k"), 3),
        "b",
        "2",
        "c",
        "2",
        "A",
        "2");
    assertThat(rows()).isEqualTo(Map.of("a", "1", "b", "1", "c", "2", "A", "2"));
  }

  @Test
  void keysDifferingOnlyInCaseOrTrailingSpaceAreDistinct() throws SQLException {
    insert(
        expectedDialect().insertIfAbsent(table, cols(), List.of("k"), 3),
        "key",
        "1",
        "KEY",
        "2",
        "key ",
        "3");
    assertThat(rows()).isEqualTo(Map.of("key", "1", "KEY", "2", "key ", "3"));
  }

  @Test
  void upsertOverwritesExistingRows() throws SQLException {
    insert(expectedDialect().insertIfAbsent(table, cols(), List.of("k"), 1), "a", "1");
    insert(expectedDialect().upsert(table, cols(), List.of("k"), 2), "a", "2", "b", "2");
    assertThat(rows()).isEqualTo(Map.of("a", "2", "b", "2"));
  }

  @Test
  void upsertAddingOverwritesTheRowAndAddsToTheCountingColumn() throws SQLException {
    String sql = expectedDialect().upsertAdding(table, cols(), List.of("k"), "expires_at", 2);
    // expires_at counts here: 1 per write, 2 for a row that stands for two records
    insertAt(sql, 0, "a", "a1", 1, "b", "b1", 2);
    insertAt(sql, 0, "a", "a2", 1, "c", "c1", 1);
    assertThat(rows()).isEqualTo(Map.of("a", "a2", "b", "b1", "c", "c1"));
    Map<String, Long> counts = new TreeMap<>();
    try (Statement s = open().createStatement();
        ResultSet rs = s.executeQuery("SELECT k, expires_at FROM " + table)) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getLong(2));
      }
    }
    assertThat(counts).isEqualTo(Map.of("a", 2L, "b", 2L, "c", 1L));
  }

  @Test
  void upsertIfStaleReplacesOnlyRowsWhoseExpiryHasPassed() throws SQLException {
    String sql =
        expectedDialect().upsertIfStale(table, cols(), List.of("k"), "expires_at", "now_at", 2);
    // a expires at 100, b at 300
    insertAt(sql, 0, "a", "old", 100, "b", "old", 300);
    // at 200: a is stale and replaced (all columns, expiry included); b is live and kept
    insertAt(sql, 200, "a", "new", 1000, "b", "new", 1000);
    assertThat(rows()).isEqualTo(Map.of("a", "new", "b", "old"));
    try (Statement s = open().createStatement();
        ResultSet rs = s.executeQuery("SELECT k, expires_at FROM " + table + " ORDER BY k")) {
      Map<String, Long> expiry = new TreeMap<>();
      while (rs.next()) {
        expiry.put(rs.getString(1), rs.getLong(2));
      }
      assertThat(expiry).isEqualTo(Map.of("a", 1000L, "b", 300L));
    }
  }

  @Test
  void deleteSomeDeletesAtMostTheLimitOfMatchingRows() throws SQLException {
    String sql = expectedDialect().insertIfAbsent(table, cols(), List.of("k"), 1);
    for (int i = 0; i < 7; i++) {
      insertAt(sql, 0, "d" + i, "v", i < 5 ? 10 : 1000);
    }
    String delete = expectedDialect().deleteSome(table, "k", "expires_at <= ?", 3);
    List<Integer> deleted = new ArrayList<>();
    try (PreparedStatement ps = open().prepareStatement(delete)) {
      ps.setLong(1, 100);
      for (int round = 0; round < 3; round++) {
        deleted.add(ps.executeUpdate());
      }
    }
    assertThat(deleted).containsExactly(3, 2, 0);
    assertThat(rows()).containsOnlyKeys("d5", "d6");
  }

  @Test
  void aDuplicateKeyIsClassifiedAsSuch() throws SQLException {
    String plain = "INSERT INTO " + table + " (k, v, expires_at, now_at) VALUES ('x', 'v', 0, 0)";
    try (Statement s = open().createStatement()) {
      s.executeUpdate(plain);
      Throwable t = catchThrowable(() -> s.executeUpdate(plain));
      assertThat(t).isInstanceOf(SQLException.class);
      assertThat(expectedDialect().classify(t)).isEqualTo(SqlErrorKind.DUPLICATE_KEY);
      assertThat(expectedDialect().isTransient(t)).isFalse();
    }
  }

  @Test
  void aLockTimeoutIsClassifiedAsTransient() throws Exception {
    seed("r1", "r2");
    Connection holder = open();
    Connection waiter = open();
    holder.setAutoCommit(false);
    waiter.setAutoCommit(false);
    shortLockTimeout(waiter);
    update(holder, "r1");
    Throwable t = catchThrowable(() -> update(waiter, "r1"));
    holder.rollback();
    assertThat(t).isInstanceOf(SQLException.class);
    assertThat(expectedDialect().classify(t))
        .as(String.valueOf(t))
        .isEqualTo(SqlErrorKind.LOCK_TIMEOUT);
    assertThat(expectedDialect().isTransient(t)).isTrue();
  }

  @Test
  void aDeadlockIsClassifiedAsTransient() throws Exception {
    seed("r1", "r2");
    Connection a = open();
    Connection b = open();
    a.setAutoCommit(false);
    b.setAutoCommit(false);
    update(a, "r1");
    update(b, "r2");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> fa = pool.submit(() -> update(a, "r2"));
      Future<?> fb = pool.submit(() -> update(b, "r1"));
      List<Throwable> failures = new ArrayList<>();
      for (Future<?> f : List.of(fa, fb)) {
        try {
          f.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          failures.add(e.getCause());
          // free the survivor's locks so the other future completes
          a.rollback();
          b.rollback();
        }
      }
      assertThat(failures).as("one transaction is the deadlock victim").isNotEmpty();
      assertThat(expectedDialect().classify(failures.get(0)))
          .as(String.valueOf(failures.get(0)))
          .isEqualTo(SqlErrorKind.DEADLOCK);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aKilledSessionIsClassifiedAsConnectionLost() throws SQLException {
    Connection victim = open();
    killSession(victim, open());
    Throwable t =
        catchThrowable(
            () -> {
              try (Statement s = victim.createStatement();
                  ResultSet rs = s.executeQuery("SELECT 1")) {
                rs.next();
              }
            });
    assertThat(t).isInstanceOf(SQLException.class);
    assertThat(expectedDialect().classify(t))
        .as(String.valueOf(t))
        .isEqualTo(SqlErrorKind.CONNECTION_LOST);
  }

  @Test
  void anUnrelatedErrorIsNotTransient() {
    Throwable t =
        catchThrowable(
            () -> {
              try (Statement s = open().createStatement()) {
                s.executeQuery("SELECT no_such_column FROM " + table);
              }
            });
    assertThat(expectedDialect().classify(t)).isEqualTo(SqlErrorKind.OTHER);
  }

  @Test
  void buildersRefuseUncheckedNames() {
    assertThatThrownBy(
            () -> expectedDialect().insertIfAbsent("t; DROP TABLE x", cols(), List.of("k"), 1))
        .hasMessageContaining("table='t; DROP TABLE x'");
    assertThatThrownBy(() -> expectedDialect().upsert(table, List.of("k", "v--"), List.of("k"), 1))
        .hasMessageContaining("column='v--'");
  }

  private static List<String> cols() {
    return List.of("k", "v", "expires_at", "now_at");
  }

  private void insert(String sql, String... kv) throws SQLException {
    try (PreparedStatement ps = open().prepareStatement(sql)) {
      int p = 1;
      for (int i = 0; i < kv.length; i += 2) {
        ps.setString(p++, kv[i]);
        ps.setString(p++, kv[i + 1]);
        ps.setLong(p++, 0);
        ps.setLong(p++, 0);
      }
      ps.executeUpdate();
    }
  }

  /** Rows of (key, value, expiry), all written with now_at = {@code now}. */
  private void insertAt(String sql, long now, Object... rows) throws SQLException {
    try (PreparedStatement ps = open().prepareStatement(sql)) {
      int p = 1;
      for (int i = 0; i < rows.length; i += 3) {
        ps.setString(p++, (String) rows[i]);
        ps.setString(p++, (String) rows[i + 1]);
        ps.setLong(p++, ((Number) rows[i + 2]).longValue());
        ps.setLong(p++, now);
      }
      ps.executeUpdate();
    }
  }

  private void seed(String... keys) throws SQLException {
    for (String k : keys) {
      insert(expectedDialect().insertIfAbsent(table, cols(), List.of("k"), 1), k, "0");
    }
  }

  private Void update(Connection c, String key) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE " + table + " SET v = 'u' WHERE k = ?")) {
      ps.setString(1, key);
      ps.executeUpdate();
    }
    return null;
  }

  private Map<String, String> rows() throws SQLException {
    Map<String, String> out = new TreeMap<>();
    try (Statement s = open().createStatement();
        ResultSet rs = s.executeQuery("SELECT k, v FROM " + table)) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }
}
