package dev.exactly.jdbc;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.dedup.StoredResult;
import dev.exactly.jdbc.internal.Column;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.internal.Sql;
import dev.exactly.jdbc.internal.SqlErrorKind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link DedupStore} in a PostgreSQL, MariaDB/MySQL or H2 table, one row per key.
 *
 * <p><b>How a claim is decided.</b> One multi-row statement inserts every key that is absent and
 * takes over every row whose lease or retention has expired, writing this call's random token
 * ({@link Dialect#upsertIfStale}); the table's primary key decides between concurrent callers. A
 * second statement reads the rows back: a row carrying this call's token is this caller's claim.
 * The read only reports what the database decided; it decides nothing. Keys go in sorted order so
 * two overlapping batches lock rows in the same order.
 *
 * <p><b>Time.</b> Expiry instants are epoch milliseconds from the injected {@link Clock}, so every
 * instance sharing the table needs a synchronized clock (lease takeover happens when the taker's
 * clock passes the expiry).
 *
 * <p>Transient errors (see {@link Dialect#classify}) are retried a few times with the same token,
 * which makes a retry after a lost answer find its own claim; then {@link DedupStoreException}.
 * Thread-safe; each call borrows one connection from the data source, which the caller owns.
 */
public final class JdbcDedupStore implements DedupStore {
  private static final Logger log = LoggerFactory.getLogger(JdbcDedupStore.class);

  /** Rows per statement; well under PostgreSQL's 32,767 bind parameters. */
  static final int CHUNK = 1000;

  private static final int CLAIMED = 1;
  private static final int DONE = 2;
  private static final int ATTEMPTS = 5;
  private static final List<String> CLAIM_COLUMNS =
      List.of("dedup_key", "state", "token", "expires_at", "updated_at");

  private final DataSource dataSource;
  private final Dialect dialect;
  private final String table;
  private final Clock clock;

  private JdbcDedupStore(Builder b, Dialect dialect) {
    this.dataSource = b.dataSource;
    this.dialect = dialect;
    this.table = b.table;
    this.clock = b.clock;
  }

  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** The table's columns. */
  static List<Column> columns() {
    return List.of(
        Column.key("dedup_key", MAX_KEY_LENGTH),
        Column.integer("state", false),
        Column.text("token", 36, false),
        Column.bigint("expires_at", false),
        Column.bigint("updated_at", false),
        Column.bytes("result", true));
  }

  /**
   * The statements that create the table and its expiry index on {@code database}, for users who
   * create it by migration instead (then set {@link Builder#createTable createTable(false)}).
   *
   * @throws dev.exactly.ConfigurationException when the table name is not a plain identifier
   */
  public static List<String> createTableStatements(Database database, String table) {
    return createTableStatements(Dialect.of(database), table);
  }

  private static List<String> createTableStatements(Dialect dialect, String table) {
    Dialect.checkIdentifier("dedup.table", table);
    return dialect.createTableIfAbsent(
        table,
        columns(),
        List.of("dedup_key"),
        List.of(new Dialect.Index(Sql.local(table) + "_expiry", List.of("expires_at"))));
  }

  @Override
  public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
    requirePositive(lease, "lease");
    List<String> distinct = distinct(keys);
    String token = UUID.randomUUID().toString();
    Map<String, Claim> byKey = new HashMap<>();
    for (List<String> chunk : chunks(sorted(distinct))) {
      byKey.putAll(retrying("claim", () -> claimChunk(chunk, token, lease)));
    }
    Map<String, Claim> out = new LinkedHashMap<>();
    distinct.forEach(k -> out.put(k, byKey.get(k)));
    return out;
  }

  private Map<String, Claim> claimChunk(List<String> keys, String token, Duration lease)
      throws SQLException {
    long now = clock.millis();
    long expiry = now + lease.toMillis();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      String upsert =
          dialect.upsertIfStale(
              table, CLAIM_COLUMNS, List.of("dedup_key"), "expires_at", "updated_at", keys.size());
      try (PreparedStatement ps = c.prepareStatement(upsert)) {
        int p = 1;
        for (String key : keys) {
          ps.setString(p++, key);
          ps.setInt(p++, CLAIMED);
          ps.setString(p++, token);
          ps.setLong(p++, expiry);
          ps.setLong(p++, now);
        }
        ps.executeUpdate();
      }
      Map<String, Claim> out = new HashMap<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT dedup_key, state, token, expires_at, result FROM "
                  + table
                  + " WHERE dedup_key IN "
                  + Sql.rows(keys.size(), 1))) {
        int p = 1;
        for (String key : keys) {
          ps.setString(p++, key);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String key = rs.getString(1);
            int state = rs.getInt(2);
            String rowToken = rs.getString(3);
            long expiresAt = rs.getLong(4);
            byte[] result = rs.getBytes(5);
            out.put(key, answer(key, state, rowToken, expiresAt, result, token, now));
          }
        }
      }
      for (String key : keys) {
        // Purged between the two statements (its entry had expired): nobody holds it now, so the
        // caller simply tries again shortly.
        out.putIfAbsent(key, new Claim.InFlight(key, Instant.ofEpochMilli(now)));
      }
      return out;
    }
  }

  private static Claim answer(
      String key,
      int state,
      String rowToken,
      long expiresAt,
      byte[] result,
      String token,
      long now) {
    if (state == CLAIMED && token.equals(rowToken)) {
      return new Claim.Claimed(key, token, Instant.ofEpochMilli(expiresAt));
    }
    if (state == DONE) {
      return new Claim.Done(key, Optional.ofNullable(result).map(StoredResult::of));
    }
    // Another caller's claim; if it expired just now, the caller retries at once.
    return new Claim.InFlight(key, Instant.ofEpochMilli(Math.max(expiresAt, now)));
  }

  @Override
  public Set<String> complete(
      Collection<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results) {
    requirePositive(retention, "retention");
    Objects.requireNonNull(results, "results");
    List<Claim.Claimed> sorted = sortedClaims(claims);
    if (sorted.isEmpty()) {
      return Set.of();
    }
    Set<String> lost = new HashSet<>();
    for (List<Claim.Claimed> chunk : chunks(sorted)) {
      lost.addAll(retrying("complete", () -> completeChunk(chunk, retention, results)));
    }
    return lost;
  }

  private Set<String> completeChunk(
      List<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results)
      throws SQLException {
    long now = clock.millis();
    long until = now + retention.toMillis();
    if (dialect == Dialect.postgresql()) {
      return completeInOneStatement(claims, now, until, results);
    }
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        int[] counts;
        // The token check makes a completion by an owner whose lease was taken over a no-op;
        // repeating one's own completion (a retry) matches again.
        try (PreparedStatement ps =
            c.prepareStatement(
                "UPDATE "
                    + table
                    + " SET state = ?, expires_at = ?, updated_at = ?, result = ?"
                    + " WHERE dedup_key = ? AND token = ?")) {
          for (Claim.Claimed claim : claims) {
            StoredResult r = results.get(claim.key());
            ps.setInt(1, DONE);
            ps.setLong(2, until);
            ps.setLong(3, now);
            ps.setBytes(4, r == null ? null : r.bytes());
            ps.setString(5, claim.key());
            ps.setString(6, claim.token());
            ps.addBatch();
          }
          counts = ps.executeBatch();
        }
        Set<String> lost = new HashSet<>();
        boolean unknown = false;
        for (int i = 0; i < counts.length; i++) {
          if (counts[i] == Statement.SUCCESS_NO_INFO) {
            unknown = true;
          } else if (counts[i] == 0) {
            lost.add(claims.get(i).key());
          }
        }
        if (unknown) {
          lost = notDoneByUs(c, claims);
        }
        c.commit();
        return lost;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      }
    }
  }

  /**
   * PostgreSQL completes a chunk in one statement instead of a batch of one UPDATE per key: it
   * joins the table to the claims as a VALUES list and returns the rows it changed, so the keys
   * missing from the answer are the ones whose claim was taken over. MariaDB has no RETURNING on
   * UPDATE and H2 runs in-process, so they keep the batch.
   */
  private Set<String> completeInOneStatement(
      List<Claim.Claimed> claims, long now, long until, Map<String, StoredResult> results)
      throws SQLException {
    // The token check makes a completion by an owner whose lease was taken over a no-op;
    // repeating one's own completion (a retry) matches again.
    String sql =
        "UPDATE "
            + table
            + " AS d SET state = "
            + DONE
            + ", expires_at = ?, updated_at = ?, result = v.result FROM (VALUES "
            + String.join(
                ", ", java.util.Collections.nCopies(claims.size(), "(?, ?, CAST(? AS BYTEA))"))
            + ") AS v(dedup_key, token, result)"
            + " WHERE d.dedup_key = v.dedup_key AND d.token = v.token RETURNING d.dedup_key";
    Set<String> lost = new HashSet<>();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int p = 1;
        ps.setLong(p++, until);
        ps.setLong(p++, now);
        for (Claim.Claimed claim : claims) {
          StoredResult r = results.get(claim.key());
          ps.setString(p++, claim.key());
          ps.setString(p++, claim.token());
          ps.setBytes(p++, r == null ? null : r.bytes());
          lost.add(claim.key());
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            lost.remove(rs.getString(1));
          }
        }
      }
    }
    return lost;
  }

  /** For drivers that do not report per-row counts of a batch: read the rows back. */
  private Set<String> notDoneByUs(Connection c, List<Claim.Claimed> claims) throws SQLException {
    Map<String, String> tokens = new HashMap<>();
    claims.forEach(cl -> tokens.put(cl.key(), cl.token()));
    Set<String> lost = new HashSet<>(tokens.keySet());
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT dedup_key, token FROM "
                + table
                + " WHERE state = "
                + DONE
                + " AND dedup_key IN "
                + Sql.rows(claims.size(), 1))) {
      int p = 1;
      for (Claim.Claimed cl : claims) {
        ps.setString(p++, cl.key());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getString(2).equals(tokens.get(rs.getString(1)))) {
            lost.remove(rs.getString(1));
          }
        }
      }
    }
    return lost;
  }

  @Override
  public void release(Collection<Claim.Claimed> claims) {
    List<Claim.Claimed> sorted = sortedClaims(claims);
    for (List<Claim.Claimed> chunk : chunks(sorted)) {
      retrying(
          "release",
          () -> {
            try (Connection c = dataSource.getConnection()) {
              c.setAutoCommit(false);
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "DELETE FROM "
                          + table
                          + " WHERE dedup_key = ? AND token = ? AND state = "
                          + CLAIMED)) {
                for (Claim.Claimed claim : chunk) {
                  ps.setString(1, claim.key());
                  ps.setString(2, claim.token());
                  ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
              } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw e;
              }
            }
            return null;
          });
    }
  }

  @Override
  public int purgeExpired() {
    long now = clock.millis();
    String sql = dialect.deleteSome(table, "dedup_key", "expires_at <= ?", CHUNK);
    int total = 0;
    while (true) {
      int deleted =
          retrying(
              "purge",
              () -> {
                try (Connection c = dataSource.getConnection();
                    PreparedStatement ps = c.prepareStatement(sql)) {
                  c.setAutoCommit(true);
                  ps.setLong(1, now);
                  return ps.executeUpdate();
                }
              });
      total += deleted;
      if (deleted < CHUNK) {
        return total;
      }
    }
  }

  @Override
  public String name() {
    return dialect.name() + ":" + table;
  }

  /** The data source belongs to the caller, who closes it. */
  @Override
  public void close() {}

  private interface SqlWork<T> {
    T run() throws SQLException;
  }

  private <T> T retrying(String what, SqlWork<T> work) {
    SQLException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        return work.run();
      } catch (SQLException e) {
        last = e;
        SqlErrorKind kind = dialect.classify(e);
        // A duplicate key here is H2's MERGE losing a race for a new key: the retry finds the row.
        boolean retry = kind.isTransient() || kind == SqlErrorKind.DUPLICATE_KEY;
        if (!retry || attempt == ATTEMPTS) {
          break;
        }
        log.debug("dedup {} on {} failed ({}), attempt {}; retrying", what, name(), kind, attempt);
        pause(attempt);
      }
    }
    throw new DedupStoreException(
        "dedup store "
            + name()
            + " could not "
            + what
            + " ("
            + dialect.classify(last)
            + ": "
            + last.getMessage()
            + "); nothing was decided for this call, retry it later",
        last);
  }

  private static void pause(int attempt) {
    try {
      Thread.sleep(10L * attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DedupStoreException("interrupted while retrying the dedup store", e);
    }
  }

  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException rollback) {
      cause.addSuppressed(rollback);
    }
  }

  private static List<String> distinct(Collection<String> keys) {
    Objects.requireNonNull(keys, "keys");
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String key : keys) {
      Objects.requireNonNull(key, "a dedup key is null");
      if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
        throw new IllegalArgumentException(
            "a dedup key must have 1.." + MAX_KEY_LENGTH + " characters, got " + key.length());
      }
      out.add(key);
    }
    return new ArrayList<>(out);
  }

  private static List<String> sorted(List<String> keys) {
    List<String> s = new ArrayList<>(keys);
    s.sort(null);
    return s;
  }

  private static List<Claim.Claimed> sortedClaims(Collection<Claim.Claimed> claims) {
    Objects.requireNonNull(claims, "claims");
    List<Claim.Claimed> s = new ArrayList<>(claims);
    s.sort((a, b) -> a.key().compareTo(b.key()));
    return s;
  }

  private static <T> List<List<T>> chunks(List<T> items) {
    List<List<T>> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i += CHUNK) {
      out.add(items.subList(i, Math.min(items.size(), i + CHUNK)));
    }
    return out;
  }

  private static void requirePositive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }

  /** Builds a store; {@link #build()} checks the table name and creates the table if absent. */
  public static final class Builder {
    private final DataSource dataSource;
    private String table = "exactly_dedup";
    private Clock clock = Clock.systemUTC();
    private Dialect dialect;
    private boolean createTable = true;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** The table, optionally schema-qualified; default {@code exactly_dedup}. */
    public Builder table(String table) {
      this.table = table;
      return this;
    }

    /** The clock for leases and retention; default the system clock (UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The database; by default detected from the data source's metadata in {@link #build()}. */
    public Builder database(Database database) {
      this.dialect = Dialect.of(Objects.requireNonNull(database, "database"));
      return this;
    }

    /** Whether {@link #build()} creates the table when absent; default true. */
    public Builder createTable(boolean createTable) {
      this.createTable = createTable;
      return this;
    }

    /**
     * @throws dev.exactly.ConfigurationException when the table name is not a plain identifier
     * @throws DedupStoreException when the database cannot be reached to detect the dialect or to
     *     create the table
     */
    public JdbcDedupStore build() {
      Dialect.checkIdentifier("dedup.table", table);
      Dialect d = dialect;
      try {
        if (d == null) {
          d = Dialect.of(dataSource);
        }
        if (createTable) {
          try (Connection c = dataSource.getConnection();
              Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            for (String ddl : createTableStatements(d, table)) {
              s.execute(ddl);
            }
          }
        }
      } catch (SQLException e) {
        throw new DedupStoreException(
            "cannot prepare dedup table "
                + table
                + " ("
                + e.getMessage()
                + "); check the data source, or create the table with"
                + " JdbcDedupStore.createTableStatements and set createTable(false)",
            e);
      }
      return new JdbcDedupStore(this, d);
    }
  }
}
