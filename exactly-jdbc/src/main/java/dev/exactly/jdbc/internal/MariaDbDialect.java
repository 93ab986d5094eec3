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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * MariaDB, and MySQL through the same SQL: {@code INSERT ... ON DUPLICATE KEY UPDATE}, errors by
 * vendor code first (the SQLState of a deadlock and of a lock timeout are too coarse).
 *
 * <p>Not {@code INSERT IGNORE}: it also turns truncation and bad values into warnings, so a wrong
 * row would be stored silently. Keys are {@code VARBINARY}, because the default collations ignore
 * case and trailing spaces, and two different dedup keys must never meet in a unique index.
 */
final class MariaDbDialect implements Dialect {
  static final MariaDbDialect INSTANCE = new MariaDbDialect();

  private static final int ER_DUP_ENTRY = 1062;
  private static final int ER_DUP_ENTRY_WITH_KEY_NAME = 1586;
  private static final int ER_LOCK_WAIT_TIMEOUT = 1205;
  private static final int ER_LOCK_DEADLOCK = 1213;
  private static final int ER_CHECKREAD = 1020;
  private static final int ER_CONNECTION_KILLED = 1927;
  private static final int ER_SERVER_SHUTDOWN = 1053;
  private static final int CR_SERVER_GONE_ERROR = 2006;
  private static final int CR_SERVER_LOST = 2013;
  private static final int ER_CLIENT_INTERACTION_TIMEOUT = 4031;
  private static final int ER_SPECIFIC_ACCESS_DENIED = 1227;
  // --read-only (and MySQL's super_read_only); the one option that stops a sink's writes
  private static final int ER_OPTION_PREVENTS_STATEMENT = 1290;
  private static final int ER_READ_ONLY_MODE = 1836;
  private static final int ER_STATEMENT_TIMEOUT = 1969; // max_statement_time
  private static final int ER_QUERY_TIMEOUT = 3024; // MySQL's max_execution_time
  private static final int ER_QUERY_INTERRUPTED = 1317; // KILL QUERY
  private static final int ER_CON_COUNT_ERROR = 1040;
  private static final int ER_TOO_MANY_USER_CONNECTIONS = 1203;
  private static final int ER_DISK_FULL = 1021;
  private static final int ER_OUTOFMEMORY = 1037;
  private static final int ER_OUT_OF_RESOURCES = 1041;

  private MariaDbDialect() {}

  @Override
  public Database database() {
    return Database.MARIADB;
  }

  @Override
  public String name() {
    return "mariadb";
  }

  @Override
  public String insertIfAbsent(
      String table, List<String> columns, List<String> keyColumns, int rows) {
    Sql.check(table, columns, keyColumns);
    String k = keyColumns.get(0);
    return insert(table, columns, rows) + " ON DUPLICATE KEY UPDATE " + k + " = " + k;
  }

  @Override
  public String upsert(String table, List<String> columns, List<String> keyColumns, int rows) {
    Sql.check(table, columns, keyColumns);
    List<String> updates = Sql.nonKeys(columns, keyColumns);
    if (updates.isEmpty()) {
      return insertIfAbsent(table, columns, keyColumns, rows);
    }
    return insert(table, columns, rows)
        + " ON DUPLICATE KEY UPDATE "
        + updates.stream().map(c -> c + " = VALUES(" + c + ")").collect(Collectors.joining(", "));
  }

  @Override
  public String upsertAdding(
      String table, List<String> columns, List<String> keyColumns, String addColumn, int rows) {
    Sql.check(table, columns, keyColumns);
    Sql.checkAdding(columns, keyColumns, addColumn);
    return insert(table, columns, rows)
        + " ON DUPLICATE KEY UPDATE "
        + Sql.nonKeys(columns, keyColumns).stream()
            .map(
                c ->
                    c.equals(addColumn)
                        ? c + " = " + c + " + VALUES(" + c + ")"
                        : c + " = VALUES(" + c + ")")
            .collect(Collectors.joining(", "));
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
    // Assignments run left to right and later ones see earlier results, so the column the
    // condition reads is assigned last: every IF sees the row as it was.
    List<String> updates = new ArrayList<>(Sql.nonKeys(columns, keyColumns));
    updates.remove(staleColumn);
    updates.add(staleColumn);
    String condition = staleColumn + " <= VALUES(" + nowColumn + ")";
    return insert(table, columns, rows)
        + " ON DUPLICATE KEY UPDATE "
        + updates.stream()
            .map(c -> c + " = IF(" + condition + ", VALUES(" + c + "), " + c + ")")
            .collect(Collectors.joining(", "));
  }

  private static String insert(String table, List<String> columns, int rows) {
    return "INSERT INTO "
        + table
        + " ("
        + Sql.columns(columns)
        + ") VALUES "
        + Sql.rows(columns.size(), rows);
  }

  @Override
  public String deleteSome(String table, String keyColumn, String condition, int limit) {
    Dialect.checkIdentifier("table", table);
    Dialect.checkIdentifier("column", keyColumn);
    // MariaDB refuses LIMIT inside an IN subquery, but DELETE takes LIMIT directly.
    return "DELETE FROM " + table + " WHERE " + condition + " LIMIT " + limit;
  }

  @Override
  public List<String> createTableIfAbsent(
      String table, List<Column> columns, List<String> primaryKey, List<Index> indexes) {
    Dialect.checkIdentifier("table", table);
    StringBuilder ddl = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(table).append(" (");
    ddl.append(
        columns.stream()
            .map(
                c ->
                    Dialect.checkIdentifier("column", c.name())
                        + " "
                        + columnType(c)
                        + (c.nullable() ? " NULL" : " NOT NULL"))
            .collect(Collectors.joining(", ")));
    ddl.append(", PRIMARY KEY (").append(Sql.columns(primaryKey)).append(')');
    // Inside CREATE TABLE, because MySQL has no CREATE INDEX IF NOT EXISTS.
    for (Index index : indexes) {
      ddl.append(", INDEX ")
          .append(index.name())
          .append(" (")
          .append(Sql.columns(index.columns()))
          .append(')');
    }
    ddl.append(") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    return List.of(ddl.toString());
  }

  @Override
  public String columnType(Column column) {
    return switch (column.type()) {
      // utf8mb4 takes up to 4 bytes a character; InnoDB indexes up to 3072 bytes.
      case KEY -> "VARBINARY(" + (column.length() * 4) + ")";
      case TEXT -> "VARCHAR(" + column.length() + ")";
      case BIGINT -> "BIGINT";
      case INT -> "INT";
      case BYTES -> "MEDIUMBLOB";
      case DOCUMENT -> "LONGTEXT";
    };
  }

  @Override
  public SqlErrorKind classify(Throwable error) {
    return Sql.classify(error, MariaDbDialect::kindOf);
  }

  private static SqlErrorKind kindOf(SQLException e) {
    switch (e.getErrorCode()) {
      case ER_LOCK_DEADLOCK:
        return SqlErrorKind.DEADLOCK;
      case ER_LOCK_WAIT_TIMEOUT:
        return SqlErrorKind.LOCK_TIMEOUT;
      case ER_CHECKREAD:
        return SqlErrorKind.SERIALIZATION_FAILURE;
      case ER_DUP_ENTRY:
      case ER_DUP_ENTRY_WITH_KEY_NAME:
        return SqlErrorKind.DUPLICATE_KEY;
      case ER_CONNECTION_KILLED:
      case ER_SERVER_SHUTDOWN:
      case CR_SERVER_GONE_ERROR:
      case CR_SERVER_LOST:
      case ER_CLIENT_INTERACTION_TIMEOUT:
        return SqlErrorKind.CONNECTION_LOST;
      case ER_OPTION_PREVENTS_STATEMENT:
      case ER_READ_ONLY_MODE:
        return SqlErrorKind.READ_ONLY;
      case ER_STATEMENT_TIMEOUT:
      case ER_QUERY_TIMEOUT:
      case ER_QUERY_INTERRUPTED:
        return SqlErrorKind.STATEMENT_CANCELLED;
      case ER_CON_COUNT_ERROR:
      case ER_TOO_MANY_USER_CONNECTIONS:
      case ER_DISK_FULL:
      case ER_OUTOFMEMORY:
      case ER_OUT_OF_RESOURCES:
        return SqlErrorKind.RESOURCES_EXHAUSTED;
      default:
        break;
    }
    String state = e.getSQLState();
    if (Sql.connectionState(state)
        || e instanceof SQLTransientConnectionException
        || e instanceof SQLRecoverableException) {
      return SqlErrorKind.CONNECTION_LOST;
    }
    if ("40001".equals(state)) {
      return SqlErrorKind.SERIALIZATION_FAILURE;
    }
    return SqlErrorKind.OTHER;
  }

  @Override
  public boolean causedByData(SQLException e) {
    // class 45: SIGNAL in a trigger or procedure, such as one refusing a row
    return Sql.dataState(e.getSQLState())
        || (e.getSQLState() != null && e.getSQLState().startsWith("45"));
  }

  @Override
  public Optional<String> sessionLimits(Duration lockWait, Duration idleInTransaction) {
    // MySQL has no idle-in-transaction limit (MariaDB's idle_transaction_timeout is not in MySQL):
    // bound the lock wait, in whole seconds, and leave idle sessions to wait_timeout.
    return Optional.of(
        "SET SESSION innodb_lock_wait_timeout = " + Math.max(1, lockWait.toSeconds()));
  }

  @Override
  public List<String> createOutboxTableIfAbsent(String table) {
    Dialect.checkIdentifier("table", table);
    // With innodb_autoinc_lock_mode 1 or 2, single-row inserts take values in time order.
    return List.of(
        "CREATE TABLE IF NOT EXISTS "
            + table
            + " (id BIGINT NOT NULL AUTO_INCREMENT, topic VARCHAR(249) NOT NULL,"
            + " msg_key MEDIUMBLOB NULL, msg_value MEDIUMBLOB NULL, headers MEDIUMBLOB NULL,"
            + " created_at BIGINT NOT NULL, PRIMARY KEY (id))"
            + " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  }

  @Override
  public boolean tryLock(Connection connection, String name) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT GET_LOCK(?, 0)")) {
      ps.setString(1, lockName(name));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getInt(1) == 1;
      }
    }
  }

  @Override
  public void unlock(Connection connection, String name) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT RELEASE_LOCK(?)")) {
      ps.setString(1, lockName(name));
      ps.executeQuery().close();
    }
  }

  /** Lock names are limited to 64 characters: longer ones keep a prefix and a hash. */
  private static String lockName(String name) {
    if (name.length() <= 64) {
      return name;
    }
    return name.substring(0, 48) + "#" + Integer.toHexString(name.hashCode());
  }

  @Override
  public Optional<TransactionHorizon> transactionHorizon(Connection connection)
      throws SQLException {
    // trx_started has whole seconds, rounded down: a transaction looks older than it is, which
    // only makes the caller wait longer.
    String sql =
        "SELECT NOW(6), MIN(trx_started) FROM information_schema.innodb_trx"
            + " WHERE trx_mysql_thread_id <> CONNECTION_ID()";
    try (PreparedStatement ps = connection.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      Timestamp oldest = rs.getTimestamp(2);
      return Optional.of(
          new TransactionHorizon(
              rs.getTimestamp(1).toInstant(),
              Optional.ofNullable(oldest).map(Timestamp::toInstant)));
    } catch (SQLException e) {
      if (e.getErrorCode() == ER_SPECIFIC_ACCESS_DENIED) {
        return Optional.empty(); // needs the PROCESS privilege
      }
      throw e;
    }
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
