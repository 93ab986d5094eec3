package dev.exactly.jdbc.internal;

import dev.exactly.jdbc.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * H2 2.x in its default mode: standard {@code MERGE ... USING}, error codes from H2's {@code
 * ErrorCode}.
 *
 * <p>H2 decides {@code WHEN NOT MATCHED} before it inserts, so two transactions that insert the
 * same new key at once can both get there: the unique index then refuses the later one with {@link
 * SqlErrorKind#DUPLICATE_KEY}, and the caller retries the statement, which then finds the row.
 */
final class H2Dialect implements Dialect {
  static final H2Dialect INSTANCE = new H2Dialect();

  private static final int DUPLICATE_KEY_1 = 23505;
  private static final int DEADLOCK_1 = 40001;
  private static final int LOCK_TIMEOUT_1 = 50200;
  private static final int CONCURRENT_UPDATE_1 = 90131;
  private static final int CONNECTION_BROKEN_1 = 90067;
  private static final int DATABASE_IS_CLOSED = 90098;
  private static final int DATABASE_CALLED_AT_SHUTDOWN = 90121;
  private static final int OBJECT_CLOSED = 90007;

  private H2Dialect() {}

  @Override
  public Database database() {
    return Database.H2;
  }

  @Override
  public String name() {
    return "h2";
  }

  @Override
  public String insertIfAbsent(
      String table, List<String> columns, List<String> keyColumns, int rows) {
    Sql.check(table, columns, keyColumns);
    return mergeUsing(table, columns, keyColumns, rows) + notMatched(columns);
  }

  @Override
  public String upsert(String table, List<String> columns, List<String> keyColumns, int rows) {
    Sql.check(table, columns, keyColumns);
    List<String> updates = Sql.nonKeys(columns, keyColumns);
    if (updates.isEmpty()) {
      return insertIfAbsent(table, columns, keyColumns, rows);
    }
    return mergeUsing(table, columns, keyColumns, rows)
        + " WHEN MATCHED THEN UPDATE SET "
        + set(updates)
        + notMatched(columns);
  }

  @Override
  public String upsertAdding(
      String table, List<String> columns, List<String> keyColumns, String addColumn, int rows) {
    Sql.check(table, columns, keyColumns);
    Sql.checkAdding(columns, keyColumns, addColumn);
    // The source rows are untyped parameters: the cast gives the addition a numeric type.
    return mergeUsing(table, columns, keyColumns, rows)
        + " WHEN MATCHED THEN UPDATE SET "
        + Sql.nonKeys(columns, keyColumns).stream()
            .map(
                c ->
                    c.equals(addColumn)
                        ? c + " = x." + c + " + CAST(s." + c + " AS BIGINT)"
                        : c + " = s." + c)
            .collect(Collectors.joining(", "))
        + notMatched(columns);
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
    return mergeUsing(table, columns, keyColumns, rows)
        + " WHEN MATCHED AND x."
        + staleColumn
        + " <= s."
        + nowColumn
        + " THEN UPDATE SET "
        + set(Sql.nonKeys(columns, keyColumns))
        + notMatched(columns);
  }

  private static String mergeUsing(
      String table, List<String> columns, List<String> keyColumns, int rows) {
    return "MERGE INTO "
        + table
        + " x USING (VALUES "
        + Sql.rows(columns.size(), rows)
        + ") s ("
        + Sql.columns(columns)
        + ") ON "
        + keyColumns.stream().map(k -> "x." + k + " = s." + k).collect(Collectors.joining(" AND "));
  }

  private static String set(List<String> updates) {
    return updates.stream().map(c -> c + " = s." + c).collect(Collectors.joining(", "));
  }

  private static String notMatched(List<String> columns) {
    return " WHEN NOT MATCHED THEN INSERT ("
        + Sql.columns(columns)
        + ") VALUES ("
        + columns.stream().map(c -> "s." + c).collect(Collectors.joining(", "))
        + ")";
  }

  @Override
  public String deleteSome(String table, String keyColumn, String condition, int limit) {
    Dialect.checkIdentifier("table", table);
    Dialect.checkIdentifier("column", keyColumn);
    return "DELETE FROM " + table + " WHERE " + condition + " FETCH FIRST " + limit + " ROWS ONLY";
  }

  @Override
  public List<String> createTableIfAbsent(
      String table, List<Column> columns, List<String> primaryKey, List<Index> indexes) {
    return Sql.createTableIfAbsent(table, columns, primaryKey, indexes, this::columnType);
  }

  @Override
  public String columnType(Column column) {
    return switch (column.type()) {
      case KEY, TEXT -> "VARCHAR(" + column.length() + ")";
      case BIGINT -> "BIGINT";
      case INT -> "INTEGER";
      case BYTES -> "VARBINARY";
      case DOCUMENT -> "CHARACTER VARYING";
    };
  }

  @Override
  public SqlErrorKind classify(Throwable error) {
    return Sql.classify(error, H2Dialect::kindOf);
  }

  @Override
  public boolean causedByData(SQLException e) {
    return Sql.dataState(e.getSQLState());
  }

  private static SqlErrorKind kindOf(SQLException e) {
    return switch (e.getErrorCode()) {
      case DEADLOCK_1 -> SqlErrorKind.DEADLOCK;
      case LOCK_TIMEOUT_1 -> SqlErrorKind.LOCK_TIMEOUT;
      case CONCURRENT_UPDATE_1 -> SqlErrorKind.SERIALIZATION_FAILURE;
      case DUPLICATE_KEY_1 -> SqlErrorKind.DUPLICATE_KEY;
      case CONNECTION_BROKEN_1, DATABASE_IS_CLOSED, DATABASE_CALLED_AT_SHUTDOWN, OBJECT_CLOSED ->
          SqlErrorKind.CONNECTION_LOST;
      default ->
          Sql.connectionState(e.getSQLState()) ? SqlErrorKind.CONNECTION_LOST : SqlErrorKind.OTHER;
    };
  }

  @Override
  public Optional<String> sessionLimits(Duration lockWait, Duration idleInTransaction) {
    return Optional.of("SET LOCK_TIMEOUT " + Math.max(1, lockWait.toMillis()));
  }

  @Override
  public List<String> createOutboxTableIfAbsent(String table) {
    Dialect.checkIdentifier("table", table);
    return List.of(
        "CREATE TABLE IF NOT EXISTS "
            + table
            + " (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            + " topic VARCHAR(249) NOT NULL, msg_key VARBINARY, msg_value VARBINARY,"
            + " headers VARBINARY, created_at BIGINT NOT NULL)");
  }

  /** H2 has no session-level locks: always {@code true}, excluding nothing. */
  @Override
  public boolean tryLock(Connection connection, String name) {
    return true;
  }

  @Override
  public void unlock(Connection connection, String name) {
    // nothing was taken
  }

  /** H2 does not show when other sessions' transactions started: always empty. */
  @Override
  public Optional<TransactionHorizon> transactionHorizon(Connection connection) {
    return Optional.empty();
  }

  @Override
  public Optional<String> notifyStatement() {
    return Optional.empty();
  }

  @Override
  public Optional<String> listenStatement(String channel) {
    return Optional.empty();
  }

  @Override
  public String toString() {
    return name();
  }
}
