package dev.exactly.jdbc;

import dev.exactly.jdbc.internal.Column;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.internal.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The dedup table: its columns, the states a row moves through, and every statement the store runs
 * on it. What differs between databases comes from the {@link Dialect}; what is written here is
 * standard SQL that every supported database runs as is.
 */
final class DedupTable {
  /** A row holds a claim: {@code token} is its owner's, {@code expires_at} its lease end. */
  static final int CLAIMED = 1;

  /** A row is done: {@code result} is kept until {@code expires_at}. */
  static final int DONE = 2;

  /** Rows per statement; well under PostgreSQL's 32,767 bind parameters. */
  static final int CHUNK = 1000;

  private static final String KEY = "dedup_key";
  private static final List<String> CLAIM_COLUMNS =
      List.of(KEY, "state", "token", "expires_at", "updated_at");

  final Dialect dialect;
  final String name;

  DedupTable(Dialect dialect, String name) {
    this.dialect = dialect;
    this.name = Dialect.checkIdentifier("dedup.table", name);
  }

  static List<Column> columns() {
    return List.of(
        Column.key(KEY, dev.exactly.dedup.DedupStore.MAX_KEY_LENGTH),
        Column.integer("state", false),
        Column.text("token", 36, false),
        Column.bigint("expires_at", false),
        Column.bigint("updated_at", false),
        Column.bytes("result", true));
  }

  /** The table and its expiry index, which keeps the purge from scanning the table. */
  List<String> createStatements() {
    return dialect.createTableIfAbsent(
        name,
        columns(),
        List.of(KEY),
        List.of(new Dialect.Index(Sql.local(name) + "_expiry", List.of("expires_at"))));
  }

  void create(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      dialect.createIfAbsent(c, createStatements());
    }
  }

  /**
   * Inserts absent keys and takes over rows whose {@code expires_at} is at most the new {@code
   * updated_at}. Per row: key, state, token, expires_at, updated_at.
   */
  String claim(int rows) {
    return dialect.upsertIfStale(
        name, CLAIM_COLUMNS, List.of(KEY), "expires_at", "updated_at", rows);
  }

  /**
   * A query that reads no row but needs the table to exist and the user to be allowed to read it:
   * the health probe, which should fail for a dropped table as for a lost database.
   */
  String ping() {
    return "SELECT dedup_key FROM " + name + " WHERE 1 = 0";
  }

  /** The rows of {@code rows} keys: key, state, token, expires_at, result. */
  String readClaims(int rows) {
    return "SELECT dedup_key, state, token, expires_at, result FROM "
        + name
        + " WHERE dedup_key IN "
        + Sql.rows(rows, 1);
  }

  /**
   * Completes {@code rows} claims in one statement returning the keys it completed, where the
   * database can. Parameters: state, expires_at, updated_at; then per claim key, token, result.
   */
  Optional<String> completeReturningKeys(int rows) {
    return dialect.updateEachReturningKey(
        name,
        List.of("state", "expires_at", "updated_at"),
        List.of(KEY, "token"),
        List.of(Column.bytes("result", true)),
        rows);
  }

  /**
   * Completes one claim; the token check makes a completion by an owner whose lease was taken over
   * a no-op, while repeating one's own completion (a retry) matches again. Parameters: state,
   * expires_at, updated_at, result, key, token.
   */
  String completeOne() {
    return "UPDATE "
        + name
        + " SET state = ?, expires_at = ?, updated_at = ?, result = ?"
        + " WHERE dedup_key = ? AND token = ?";
  }

  /**
   * Completes one claim only while it is still claimed under its token, inside the transaction that
   * holds its effect: a claim taken over, or completed by an earlier attempt whose commit reply was
   * lost, matches no row, and that transaction rolls back. Parameters: state, expires_at,
   * updated_at, key, token.
   */
  String completeHeld() {
    return "UPDATE "
        + name
        + " SET state = ?, expires_at = ?, updated_at = ?"
        + " WHERE dedup_key = ? AND token = ? AND state = "
        + CLAIMED;
  }

  /** Stores the result of a key this transaction completed. Parameters: result, key, token. */
  String storeResult() {
    return "UPDATE " + name + " SET result = ? WHERE dedup_key = ? AND token = ?";
  }

  /**
   * Extends {@code rows} claims that still carry their token and are not done; the same check of
   * ownership as {@link #completeHeld()}. Parameters: expires_at, updated_at; then per claim key,
   * token.
   */
  String extendHeld(int rows) {
    return "UPDATE "
        + name
        + " SET expires_at = ?, updated_at = ? WHERE state = "
        + CLAIMED
        + " AND (dedup_key, token) IN ("
        + Sql.rows(2, rows)
        + ")";
  }

  /**
   * The keys among {@code rows} claims that still carry their token and are not done. Parameters:
   * per claim key, token.
   */
  String readHeld(int rows) {
    return "SELECT dedup_key FROM "
        + name
        + " WHERE state = "
        + CLAIMED
        + " AND (dedup_key, token) IN ("
        + Sql.rows(2, rows)
        + ")";
  }

  /** The key and token of the done rows among {@code rows} keys. */
  String readDone(int rows) {
    return "SELECT dedup_key, token FROM "
        + name
        + " WHERE state = "
        + DONE
        + " AND dedup_key IN "
        + Sql.rows(rows, 1);
  }

  /** Deletes one claim if it is still this owner's and not done. Parameters: key, token. */
  String releaseOne() {
    return "DELETE FROM " + name + " WHERE dedup_key = ? AND token = ? AND state = " + CLAIMED;
  }

  /** Deletes up to {@link #CHUNK} rows expired at the one parameter (epoch milliseconds). */
  String purgeSome() {
    return dialect.deleteSome(name, KEY, "expires_at <= ?", CHUNK);
  }

  @Override
  public String toString() {
    return dialect.name() + ":" + name;
  }
}
