package dev.exactly.jdbc;

import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.dedup.StoredResult;
import dev.exactly.dedup.TransactionalDedupStore;
import dev.exactly.internal.DedupKeys;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.internal.H2Durability;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * A {@link DedupStore} in a PostgreSQL, MariaDB/MySQL or H2 table, one row per key.
 *
 * <p><b>How a claim is decided.</b> One multi-row statement inserts every key that is absent and
 * takes over every row whose lease or retention has expired, writing this call's random token; the
 * table's primary key decides between concurrent callers. A second statement reads the rows back: a
 * row carrying this call's token is this caller's claim. The read only reports what the database
 * decided; it decides nothing. Keys go in sorted order so two overlapping batches lock rows in the
 * same order.
 *
 * <p><b>Time.</b> Expiry instants are epoch milliseconds from the injected {@link Ticker}, so every
 * instance sharing the table needs a synchronized clock (lease takeover happens when the taker's
 * clock passes the expiry).
 *
 * <p><b>Effect and key in one transaction.</b> As a {@link TransactionalDedupStore} it also
 * completes one key in the transaction that writes its effect ({@link #completeWith}), for effects
 * in this same database.
 *
 * <p>Errors the database calls transient are retried with the same token, which makes a retry after
 * a lost answer find its own claim, waiting as the {@link RetryPolicy} says; then {@link
 * DedupStoreException}. Thread-safe; each call borrows one connection at a time from the data
 * source, which the caller owns.
 */
public final class JdbcDedupStore implements TransactionalDedupStore {
  /** Five attempts, 10 to 40 ms apart: enough to outlast a lost lock race, short for a caller. */
  static final RetryPolicy DEFAULT_RETRY =
      new RetryPolicy(5, Duration.ofMillis(10), Duration.ofMillis(40), 2.0);

  private final DataSource dataSource;
  private final DedupTable table;
  private final Ticker ticker;
  private final DedupRetries retries;
  private final DedupClaims claims;
  private final DedupCompletions completions;
  private final DedupTransaction transaction;

  private JdbcDedupStore(Builder b, DedupTable table) {
    this.dataSource = b.dataSource;
    this.table = table;
    this.ticker = b.ticker;
    this.retries = new DedupRetries(table, b.retry, b.ticker);
    this.claims = new DedupClaims(b.dataSource, table);
    this.completions = new DedupCompletions(b.dataSource, table);
    this.transaction = new DedupTransaction(b.dataSource, table);
  }

  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /**
   * The statements that create the table and its expiry index on {@code database}, for users who
   * create it by migration instead (then set {@link Builder#createTable createTable(false)}).
   *
   * @throws dev.exactly.ConfigurationException when the table name is not a plain identifier
   */
  public static List<String> createTableStatements(Database database, String table) {
    return new DedupTable(Dialect.of(database), table).createStatements();
  }

  @Override
  public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
    requirePositive(lease, "lease");
    List<String> distinct = DedupKeys.distinct(keys);
    String token = UUID.randomUUID().toString();
    Map<String, Claim> byKey = new HashMap<>();
    for (List<String> chunk : chunks(sorted(distinct))) {
      byKey.putAll(
          retries.run(
              "claim",
              () -> {
                long now = ticker.millis();
                return claims.claim(chunk, token, now, now + lease.toMillis());
              }));
    }
    Map<String, Claim> out = new LinkedHashMap<>();
    distinct.forEach(k -> out.put(k, byKey.get(k)));
    return out;
  }

  @Override
  public Set<String> complete(
      Collection<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results) {
    requirePositive(retention, "retention");
    Objects.requireNonNull(results, "results");
    List<Claim.Claimed> sorted = sortedClaims(claims);
    Set<String> lost = new HashSet<>();
    for (List<Claim.Claimed> chunk : chunks(sorted)) {
      lost.addAll(
          retries.run(
              "complete",
              () -> {
                long now = ticker.millis();
                return completions.complete(chunk, now, now + retention.toMillis(), results);
              }));
    }
    return lost;
  }

  /**
   * Runs {@code work} on a connection of this store's data source, in the transaction that marks
   * the claim's key done; so the work's writes must go to that same database. Not retried here: a
   * failed transaction is all rolled back and the caller's retry policy decides.
   */
  @Override
  public boolean completeWith(Claim.Claimed claim, Duration retention, Work work) throws Exception {
    Objects.requireNonNull(claim, "claim");
    Objects.requireNonNull(work, "work");
    requirePositive(retention, "retention");
    long now = ticker.millis();
    return transaction.run(claim, now, now + retention.toMillis(), work);
  }

  /** One transaction per {@value DedupTable#CHUNK} claims, so one for a poll's batch. */
  @Override
  public Set<String> extend(Collection<Claim.Claimed> claims, Duration lease) {
    requirePositive(lease, "lease");
    Set<String> extended = new HashSet<>();
    for (List<Claim.Claimed> chunk : chunks(sortedClaims(claims))) {
      extended.addAll(
          retries.run(
              "extend",
              () -> {
                long now = ticker.millis();
                return completions.extend(chunk, now, now + lease.toMillis());
              }));
    }
    return extended;
  }

  @Override
  public void release(Collection<Claim.Claimed> claims) {
    for (List<Claim.Claimed> chunk : chunks(sortedClaims(claims))) {
      retries.run(
          "release",
          () -> {
            completions.release(chunk);
            return null;
          });
    }
  }

  /**
   * Deletes expired rows in transactions of at most {@value DedupTable#CHUNK} rows, each one
   * statement in auto-commit, so cleanup never holds many locks at once.
   */
  @Override
  public int purgeExpired() {
    long now = ticker.millis();
    String sql = table.purgeSome();
    int total = 0;
    while (true) {
      int deleted =
          retries.run(
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
      if (deleted < DedupTable.CHUNK) {
        return total;
      }
    }
  }

  /**
   * Borrows a connection and runs a query on the dedup table that reads no row, bounded by {@code
   * timeout} (at least one second, JDBC's unit); not retried. Borrowing the connection waits as the
   * data source lets it (HikariCP: {@code connectionTimeout}), so give the pool a timeout a health
   * check can wait for.
   */
  @Override
  public void ping(Duration timeout) {
    requirePositive(timeout, "timeout");
    int seconds = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toSeconds()));
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(table.ping())) {
      ps.setQueryTimeout(seconds);
      ps.executeQuery().close();
    } catch (SQLException e) {
      throw new DedupStoreException(
          "dedup store " + name() + " did not answer a ping: " + e.getMessage(), e);
    }
  }

  @Override
  public String name() {
    return table.toString();
  }

  /** The data source belongs to the caller, who closes it. */
  @Override
  public void close() {}

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
    for (int i = 0; i < items.size(); i += DedupTable.CHUNK) {
      out.add(items.subList(i, Math.min(items.size(), i + DedupTable.CHUNK)));
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
    private Ticker ticker = Ticker.system();
    private RetryPolicy retry = DEFAULT_RETRY;
    private Database database;
    private boolean createTable = true;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * The table, optionally schema-qualified; default {@code exactly_dedup}. Checked in {@link
     * #build()} as a plain SQL identifier, since it is pasted into SQL. Called twice, the last
     * value wins.
     */
    public Builder table(String table) {
      this.table = table;
      return this;
    }

    /**
     * The time leases and retention are measured in, and retry waits are taken on; default {@link
     * Ticker#system()}. Called twice, the last value wins.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * How often a call retries an error the database calls transient (lost connection, deadlock,
     * lock timeout, serialization failure) and how long it waits between attempts; default five
     * attempts, 10 to 40 ms apart. Called twice, the last value wins.
     */
    public Builder retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /**
     * The database; by default detected from the data source's metadata in {@link #build()}. Called
     * twice, the last value wins.
     */
    public Builder database(Database database) {
      this.database = Objects.requireNonNull(database, "database");
      return this;
    }

    /**
     * Whether {@link #build()} creates the table when absent; default true. Called twice, the last
     * value wins.
     */
    public Builder createTable(boolean createTable) {
      this.createTable = createTable;
      return this;
    }

    /**
     * @throws dev.exactly.ConfigurationException naming {@code dedup.table} when the table name is
     *     not a plain identifier
     * @throws DedupStoreException when the database cannot be reached to detect it or to create the
     *     table
     */
    public JdbcDedupStore build() {
      Dialect.checkIdentifier("dedup.table", table);
      DedupTable t;
      try {
        t =
            new DedupTable(
                Dialect.of(database != null ? database : Database.of(dataSource)), table);
        if (t.dialect.database() == Database.H2) {
          H2Durability.check(dataSource, "dedup store " + t);
        }
        if (createTable) {
          t.create(dataSource);
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
      return new JdbcDedupStore(this, t);
    }
  }
}
