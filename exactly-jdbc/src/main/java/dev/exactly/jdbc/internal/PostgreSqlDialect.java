package dev.exactly.jdbc.internal;

import dev.exactly.jdbc.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * PostgreSQL: {@code INSERT ... ON CONFLICT}, SQLStates from the server's error code appendix.
 * Multi-row {@code ON CONFLICT DO UPDATE} refuses a batch that names one key twice, so callers pass
 * distinct keys.
 */
final class PostgreSqlDialect implements Dialect {
  static final PostgreSqlDialect INSTANCE = new PostgreSqlDialect();

  private PostgreSqlDialect() {}

  @Override
  public Database database() {
    return Database.POSTGRESQL;
  }

  @Override
  public String name() {
    return "postgresql";
  }

  @Override
  public String insertIfAbsent(
      String table, List<String> columns, List<String> keyColumns, int rows) {
    Sql.check(table, columns, keyColumns);
    return "INSERT INTO "
        + table
        + " ("
        + Sql.columns(columns)
        + ") VALUES "
        + Sql.rows(columns.size(), rows)
        + " ON CONFLICT ("
        + Sql.columns(keyColumns)
        + ") DO NOTHING";
  }

  @Override
  public String upsert(String table, List<String> columns, List<String> keyColumns, int rows) {
    Sql.check(table, columns, keyColumns);
    return insertOnConflictUpdate(table, columns, keyColumns, rows);
  }

  @Override
  public String upsertAdding(
      String table, List<String> columns, List<String> keyColumns, String addColumn, int rows) {
    Sql.check(table, columns, keyColumns);
    Sql.checkAdding(columns, keyColumns, addColumn);
    return insertOnConflict(
        table,
        columns,
        keyColumns,
        rows,
        Sql.nonKeys(columns, keyColumns).stream()
            .map(
                c ->
                    c.equals(addColumn)
                        ? c + " = x." + c + " + EXCLUDED." + c
                        : c + " = EXCLUDED." + c)
            .collect(Collectors.joining(", ")));
  }

  @Override
  public String upsertIfStale(
      String table,
      List<String> columns,
      List<String> keyColumns,
      String staleColumn,
      String nowColumn,
      int rows) {
    Sql.check(table, columns, keyColumns);
    Sql.checkStale(columns, keyColumns, staleColumn, nowColumn);
    return insertOnConflictUpdate(table, columns, keyColumns, rows)
        + " WHERE x."
        + staleColumn
        + " <= EXCLUDED."
        + nowColumn;
  }

  private static String insertOnConflictUpdate(
      String table, List<String> columns, List<String> keyColumns, int rows) {
    List<String> updates = Sql.nonKeys(columns, keyColumns);
    String set =
        updates.isEmpty()
            ? keyColumns.get(0) + " = EXCLUDED." + keyColumns.get(0)
            : updates.stream().map(c -> c + " = EXCLUDED." + c).collect(Collectors.joining(", "));
    return insertOnConflict(table, columns, keyColumns, rows, set);
  }

  private static String insertOnConflict(
      String table, List<String> columns, List<String> keyColumns, int rows, String set) {
    // The alias x lets a condition name the existing row even when the table is schema-qualified.
    return "INSERT INTO "
        + table
        + " AS x ("
        + Sql.columns(columns)
        + ") VALUES "
        + Sql.rows(columns.size(), rows)
        + " ON CONFLICT ("
        + Sql.columns(keyColumns)
        + ") DO UPDATE SET "
        + set;
  }

  @Override
  public Optional<String> updateEachReturningKey(
      String table, List<String> sameForAll, List<String> match, List<Column> perRow, int rows) {
    Dialect.checkIdentifier("table", table);
    if (match.isEmpty() || rows < 1) {
      throw new IllegalArgumentException(
          "an update of each row needs a column to match on and a row, got " + match + ", " + rows);
    }
    sameForAll.forEach(c -> Dialect.checkIdentifier("column", c));
    match.forEach(c -> Dialect.checkIdentifier("column", c));
    List<String> perRowNames = perRow.stream().map(Column::name).collect(Collectors.toList());
    perRowNames.forEach(c -> Dialect.checkIdentifier("column", c));
    // Parameters in VALUES are typed text; a per-row value is cast to its column's type, which
    // PostgreSQL does not do by itself on assignment from text (bytea in particular).
    String oneRow =
        "("
            + Stream.concat(
                    match.stream().map(c -> "?"),
                    perRow.stream().map(c -> "CAST(? AS " + valueType(c) + ")"))
                .collect(Collectors.joining(", "))
            + ")";
    String set =
        Stream.concat(
                sameForAll.stream().map(c -> c + " = ?"),
                perRowNames.stream().map(c -> c + " = v." + c))
            .collect(Collectors.joining(", "));
    return Optional.of(
        "UPDATE "
            + table
            + " AS d SET "
            + set
            + " FROM (VALUES "
            + String.join(", ", Collections.nCopies(rows, oneRow))
            + ") AS v("
            + Sql.columns(Stream.concat(match.stream(), perRowNames.stream()).toList())
            + ") WHERE "
            + match.stream().map(c -> "d." + c + " = v." + c).collect(Collectors.joining(" AND "))
            + " RETURNING d."
            + match.get(0));
  }

  /** The type a value is cast to; a key's collation belongs to its column, not to the value. */
  private String valueType(Column column) {
    return column.type() == Column.Type.KEY
        ? "VARCHAR(" + column.length() + ")"
        : columnType(column);
  }

  @Override
  public String deleteSome(String table, String keyColumn, String condition, int limit) {
    Dialect.checkIdentifier("table", table);
    Dialect.checkIdentifier("column", keyColumn);
    return "DELETE FROM "
        + table
        + " WHERE "
        + keyColumn
        + " IN (SELECT "
        + keyColumn
        + " FROM "
        + table
        + " WHERE "
        + condition
        + " LIMIT "
        + limit
        + ")";
  }

  @Override
  public List<String> createTableIfAbsent(
      String table, List<Column> columns, List<String> primaryKey, List<Index> indexes) {
    return Sql.createTableIfAbsent(table, columns, primaryKey, indexes, this::columnType);
  }

  @Override
  public String columnType(Column column) {
    return switch (column.type()) {
      // PostgreSQL compares text byte for byte under the C collation; "C" makes that explicit
      // whatever the database's default collation is.
      case KEY -> "VARCHAR(" + column.length() + ") COLLATE \"C\"";
      case TEXT -> "VARCHAR(" + column.length() + ")";
      case BIGINT -> "BIGINT";
      case INT -> "INTEGER";
      case BYTES -> "BYTEA";
      case DOCUMENT -> "TEXT";
    };
  }

  @Override
  public SqlErrorKind classify(Throwable error) {
    return Sql.classify(error, PostgreSqlDialect::kindOf);
  }

  /**
   * unique_violation on the catalog's own unique indexes (pg_type, pg_class), or duplicate_table
   * and duplicate_object where the winner's commit came between the check and the write.
   */
  @Override
  public boolean lostCreateRace(SQLException e) {
    String state = e.getSQLState();
    return "23505".equals(state) || "42P07".equals(state) || "42710".equals(state);
  }

  private static SqlErrorKind kindOf(SQLException e) {
    String state = e.getSQLState();
    if (state == null) {
      return e instanceof SQLTransientConnectionException || e instanceof SQLRecoverableException
          ? SqlErrorKind.CONNECTION_LOST
          : SqlErrorKind.OTHER;
    }
    return switch (state) {
      case "40001" -> SqlErrorKind.SERIALIZATION_FAILURE;
      case "40P01" -> SqlErrorKind.DEADLOCK;
      case "55P03" -> SqlErrorKind.LOCK_TIMEOUT;
      case "23505" -> SqlErrorKind.DUPLICATE_KEY;
      // read_only_sql_transaction: default_transaction_read_only or a hot standby, as after a
      // failover
      case "25006" -> SqlErrorKind.READ_ONLY;
      // query_canceled: statement_timeout or pg_cancel_backend
      case "57014" -> SqlErrorKind.STATEMENT_CANCELLED;
      // admin_shutdown, crash_shutdown, cannot_connect_now, idle_session_timeout, and
      // idle_in_transaction_session_timeout: the session is gone
      case "57P01", "57P02", "57P03", "57P05", "25P03" -> SqlErrorKind.CONNECTION_LOST;
      default -> {
        if (Sql.connectionState(state)) {
          yield SqlErrorKind.CONNECTION_LOST;
        }
        // class 53, insufficient resources: disk full, out of memory, too many connections
        yield state.startsWith("53") ? SqlErrorKind.RESOURCES_EXHAUSTED : SqlErrorKind.OTHER;
      }
    };
  }

  @Override
  public boolean causedByData(SQLException e) {
    // class P0: RAISE in PL/pgSQL, such as a trigger refusing a row
    return Sql.dataState(e.getSQLState())
        || (e.getSQLState() != null && e.getSQLState().startsWith("P0"));
  }

  @Override
  public Optional<String> lockWaitLimit(Duration wait) {
    return Optional.of("SET LOCAL lock_timeout = '" + Math.max(1, wait.toMillis()) + "ms'");
  }

  @Override
  public Optional<String> sessionLimits(Duration lockWait, Duration idleInTransaction) {
    // One statement: set_config(name, value, is_local=false) lasts for the session.
    return Optional.of(
        "SELECT set_config('lock_timeout', '"
            + Math.max(1, lockWait.toMillis())
            + "ms', false), set_config('idle_in_transaction_session_timeout', '"
            + Math.max(1, idleInTransaction.toMillis())
            + "ms', false)");
  }

  @Override
  public List<String> createOutboxTableIfAbsent(String table) {
    Dialect.checkIdentifier("table", table);
    // An identity with the default cache of 1: values are taken in time order across sessions.
    return List.of(
        "CREATE TABLE IF NOT EXISTS "
            + table
            + " (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            + " topic VARCHAR(249) NOT NULL, msg_key BYTEA, msg_value BYTEA, headers BYTEA,"
            + " created_at BIGINT NOT NULL)");
  }

  @Override
  public boolean tryLock(Connection connection, String name) throws SQLException {
    return lockCall(connection, "SELECT pg_try_advisory_lock(hashtextextended(?, 0))", name);
  }

  @Override
  public void unlock(Connection connection, String name) throws SQLException {
    lockCall(connection, "SELECT pg_advisory_unlock(hashtextextended(?, 0))", name);
  }

  private static boolean lockCall(Connection connection, String sql, String name)
      throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  @Override
  public Optional<TransactionHorizon> transactionHorizon(Connection connection)
      throws SQLException {
    // Sessions of other roles show a NULL state (and a NULL backend_type, so they must not be
    // filtered out by it) to a role without pg_read_all_stats: then we cannot tell, and say so.
    // Prepared (two-phase) transactions have no session, and
    // pg_prepared_xacts shows only when they were PREPAREd, not when they took their ids: one
    // prepared after a gap was first seen would look younger than it. Any prepared transaction
    // in this database therefore counts as open since forever (the epoch), until it is
    // committed or rolled back.
    String sql =
        "SELECT clock_timestamp(),"
            + " LEAST(MIN(xact_start), (SELECT 'epoch'::timestamptz FROM pg_prepared_xacts"
            + " WHERE database = current_database() LIMIT 1)),"
            + " COALESCE(BOOL_OR(state IS NULL), false)"
            + " FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            + " AND datname = current_database()"
            + " AND (backend_type = 'client backend' OR backend_type IS NULL)";
    try (PreparedStatement ps = connection.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      if (rs.getBoolean(3)) {
        return Optional.empty();
      }
      Timestamp oldest = rs.getTimestamp(2);
      return Optional.of(
          new TransactionHorizon(
              rs.getTimestamp(1).toInstant(),
              Optional.ofNullable(oldest).map(Timestamp::toInstant)));
    }
  }

  @Override
  public Optional<String> notifyStatement() {
    return Optional.of("SELECT pg_notify(?, '')");
  }

  @Override
  public Optional<String> listenStatement(String channel) {
    // Quoted, so the channel is matched exactly as pg_notify names it, without case folding.
    return Optional.of("LISTEN \"" + Dialect.checkIdentifier("channel", channel) + "\"");
  }

  @Override
  public String toString() {
    return name();
  }
}
