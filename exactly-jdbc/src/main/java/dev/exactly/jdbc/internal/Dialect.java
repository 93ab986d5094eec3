package dev.exactly.jdbc.internal;

import dev.exactly.ConfigurationException;
import dev.exactly.jdbc.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Everything that differs between the databases Exactly supports, in one place per database:
 * insert-if-absent and upsert statements, error classification by SQLState and vendor code, and
 * column types for the tables Exactly creates. One implementation each for PostgreSQL, MariaDB (and
 * MySQL), and H2; stateless and safe to share between threads.
 *
 * <p>Not API: users name a database with {@link Database}, and builders map it here.
 *
 * <p>Table and column names are pasted into SQL, so every name that comes from configuration must
 * pass {@link #checkIdentifier} first; the builders here check them again and refuse anything else.
 *
 * <p>Statements for several rows take {@code rows} groups of placeholders, one per column in the
 * order given, row after row. Callers sort multi-row batches by key, so that two transactions that
 * touch the same keys lock them in the same order and cannot deadlock on each other.
 */
public sealed interface Dialect permits PostgreSqlDialect, MariaDbDialect, H2Dialect {

  /** Letters, digits and underscores, not starting with a digit, at most 63 characters. */
  Pattern IDENTIFIER =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

  static Dialect postgresql() {
    return PostgreSqlDialect.INSTANCE;
  }

  /** MariaDB, and MySQL 8 through the same SQL. */
  static Dialect mariadb() {
    return MariaDbDialect.INSTANCE;
  }

  static Dialect h2() {
    return H2Dialect.INSTANCE;
  }

  /** The dialect of {@code database}. */
  static Dialect of(Database database) {
    return switch (database) {
      case POSTGRESQL -> postgresql();
      case MARIADB -> mariadb();
      case H2 -> h2();
    };
  }

  /**
   * The dialect of the database behind {@code connection} (see {@link Database#of(Connection)}).
   * The connection is only read, not closed.
   *
   * @throws dev.exactly.ConfigurationException when the database is not one Exactly supports
   */
  static Dialect of(Connection connection) throws SQLException {
    return of(Database.of(connection));
  }

  /** The dialect of the database behind {@code dataSource}; borrows one connection briefly. */
  static Dialect of(DataSource dataSource) throws SQLException {
    return of(Database.of(dataSource));
  }

  /**
   * Checks a table (or other) name taken from configuration before it is pasted into SQL.
   *
   * @param key the setting it came from, for the message
   * @return {@code value}, unchanged
   * @throws ConfigurationException naming the key, the value and the fix when it is not a plain
   *     identifier, optionally qualified by one schema name
   */
  static String checkIdentifier(String key, String value) {
    Objects.requireNonNull(key, "key");
    if (value == null || !IDENTIFIER.matcher(value).matches()) {
      throw new ConfigurationException(
          key,
          value == null ? "null" : "'" + value + "'",
          "is not a plain SQL identifier; use letters, digits and underscores, starting with a"
              + " letter or underscore, at most 63 characters, optionally qualified as"
              + " schema.table");
    }
    return value;
  }

  /** A short name for messages and metric tags: {@code postgresql}, {@code mariadb}, {@code h2}. */
  String name();

  /** The database this dialect speaks to. */
  Database database();

  /**
   * {@code INSERT} of {@code rows} rows where a row whose key already exists is left alone, without
   * an error and without touching other rows. The unique index on {@code keyColumns} decides.
   */
  String insertIfAbsent(String table, List<String> columns, List<String> keyColumns, int rows);

  /**
   * {@code INSERT} of {@code rows} rows where a row whose key exists gets every non-key column
   * overwritten by the new values.
   */
  String upsert(String table, List<String> columns, List<String> keyColumns, int rows);

  /**
   * Like {@link #upsert}, but the numeric {@code addColumn} of an existing row becomes its old
   * value plus the new row's value, in the one statement: a count of the records applied to each
   * row that a repeated write would show. {@code addColumn} must be among {@code columns} and not a
   * key.
   */
  String upsertAdding(
      String table, List<String> columns, List<String> keyColumns, String addColumn, int rows);

  /**
   * Like {@link #upsert}, but an existing row is overwritten only when its {@code staleColumn} is
   * at most the new row's {@code nowColumn} (both numeric), atomically in the one statement: take
   * over an expired lease, replace an expired entry. Both columns must be among {@code columns} and
   * not keys.
   */
  String upsertIfStale(
      String table,
      List<String> columns,
      List<String> keyColumns,
      String staleColumn,
      String nowColumn,
      int rows);

  /**
   * One {@code UPDATE} of up to {@code rows} rows, each found by its own values, that returns the
   * first {@code match} column of every row it changed: the caller learns which rows matched
   * without reading them back. Empty where the database has no {@code UPDATE ... FROM ...
   * RETURNING} (MariaDB, H2); the caller then runs a batch of single-row updates.
   *
   * <p>Placeholders: one per {@code sameForAll} column (the value every changed row gets), then for
   * each row one per {@code match} column (the row changes only where every one equals its value)
   * followed by one per {@code perRow} column (the value that row gets).
   */
  default Optional<String> updateEachReturningKey(
      String table, List<String> sameForAll, List<String> match, List<Column> perRow, int rows) {
    return Optional.empty();
  }

  /**
   * {@code DELETE} of at most {@code limit} rows matching {@code condition}, so that cleanup runs
   * in small transactions that never hold many locks. Repeat until it deletes fewer than {@code
   * limit}.
   *
   * @param condition SQL written by Exactly (never taken from configuration), with placeholders
   */
  String deleteSome(String table, String keyColumn, String condition, int limit);

  /**
   * Statements that create the table and its secondary indexes when absent, to run in order.
   *
   * @param indexes secondary (non-unique) indexes, each a name and its columns
   */
  List<String> createTableIfAbsent(
      String table, List<Column> columns, List<String> primaryKey, List<Index> indexes);

  /**
   * Runs {@code statements}, DDL that creates tables and indexes when absent, on {@code c}.
   * Instances that start together race on them: PostgreSQL's {@code IF NOT EXISTS} looks for the
   * table before it writes the catalog, so the session that loses the race fails on a unique index
   * of the catalog. That failure comes only once the winner has committed, so on an auto-commit
   * connection the statements run again at once and find everything in place.
   */
  default void createIfAbsent(Connection c, List<String> statements) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try (Statement s = c.createStatement()) {
        for (String ddl : statements) {
          s.execute(ddl);
        }
        return;
      } catch (SQLException e) {
        // Inside the caller's transaction the failure has aborted it: not ours to retry.
        if (attempt == 3 || !c.getAutoCommit() || !lostCreateRace(e)) {
          throw e;
        }
      }
    }
  }

  /**
   * Whether {@code e} says another session created the same object at the same moment; false where
   * the database serializes {@code CREATE ... IF NOT EXISTS} itself.
   */
  default boolean lostCreateRace(SQLException e) {
    return false;
  }

  /** The SQL type of a column in this database. */
  String columnType(Column column);

  /**
   * What an error means, read from the SQLState and vendor code of {@code error}, its causes and
   * its chained {@link SQLException#getNextException() next exceptions}; the first specific kind
   * found wins.
   */
  SqlErrorKind classify(Throwable error);

  /** Whether {@code error} is worth retrying in a new transaction: see {@link SqlErrorKind}. */
  default boolean isTransient(Throwable error) {
    return classify(error).isTransient();
  }

  /**
   * Whether {@code e} comes from the values written rather than from the database's state: a data
   * exception, a constraint violation, or an error raised by a trigger or procedure. Such an error
   * is the fault of a record, however many records meet it.
   */
  boolean causedByData(SQLException e);

  /**
   * What identifies {@code error} as a failure of the database rather than of the rows written: the
   * SQLState and vendor code of the first SQLException in its chain, or empty when that error is
   * {@link #causedByData caused by the data} or no SQLException with a SQLState is in the chain
   * (the caller's own exception). Two disjoint sets of records that fail with the same signature
   * meet one outage, not two bad records.
   */
  default Optional<String> outageSignature(Throwable error) {
    return Sql.outageSignature(error, this::causedByData);
  }

  /**
   * A statement that bounds, until the current transaction ends, how long each later statement in
   * it waits for a row lock, failing with {@link SqlErrorKind#LOCK_TIMEOUT} (transient) instead;
   * empty where every session's wait is bounded already (MariaDB's {@code
   * innodb_lock_wait_timeout}, 50 s by default; H2's {@code LOCK_TIMEOUT}). PostgreSQL waits
   * forever by default, so without it a row lock held by a frozen client, or by a session whose
   * client died without the server noticing, blocks the waiter for as long as that lasts.
   */
  default Optional<String> lockWaitLimit(Duration wait) {
    return Optional.empty();
  }

  /**
   * One statement to run on every new connection of a pool that Exactly builds itself from a JDBC
   * URL: it bounds lock waits and, where the database can, ends a session left idle inside an open
   * transaction, so a frozen or half-dead instance cannot hold row locks indefinitely.
   */
  Optional<String> sessionLimits(Duration lockWait, Duration idleInTransaction);

  /**
   * Statements that create an outbox table when absent, to run in order: {@code id} (a 64-bit
   * identity, increasing in the order values are taken, not in commit order), {@code topic}, {@code
   * msg_key}, {@code msg_value}, {@code headers} (nullable bytes), and {@code created_at} (epoch
   * milliseconds). The same statements, for the table {@code exactly_outbox}, ship as {@code
   * db/exactly/outbox-<name>.sql} for migration tools.
   */
  List<String> createOutboxTableIfAbsent(String table);

  /**
   * Tries, without waiting, to take the session-level lock {@code name} on {@code connection}; the
   * session holds it until {@link #unlock} or until the session ends (a crashed holder loses it
   * with its connection). Auto-commit must be on.
   *
   * <p>H2 has no session locks: there this returns {@code true} at once and excludes nothing, so
   * callers that need exclusion on H2 must get it elsewhere (the outbox relay relies on its Kafka
   * {@code transactional.id} there).
   *
   * @return whether this session now holds the lock
   */
  boolean tryLock(Connection connection, String name) throws SQLException;

  /**
   * Releases a lock taken with {@link #tryLock}; does nothing when this session does not hold it.
   */
  void unlock(Connection connection, String name) throws SQLException;

  /**
   * The database's clock and the start of the oldest transaction open in any other session of this
   * database, read in one statement; empty when the database cannot tell (H2, or a user not allowed
   * to see other sessions). A value that became visible in a sequence before {@code now} but is
   * still invisible belongs to a transaction that started no later than {@code now}: if no such
   * transaction is open, the value will never become visible.
   */
  Optional<TransactionHorizon> transactionHorizon(Connection connection) throws SQLException;

  /**
   * A statement (one {@code ?}: the channel) that wakes the listeners of a channel when the
   * transaction it runs in commits, and not at all if it rolls back; empty where the database has
   * no such mechanism.
   */
  Optional<String> notifyStatement();

  /** The statement that subscribes a session to {@code channel}; empty as for notify. */
  Optional<String> listenStatement(String channel);

  /**
   * What {@link #transactionHorizon} reads.
   *
   * @param now the database's clock
   * @param oldestOpenStart when the oldest transaction open in another session started, if any
   */
  record TransactionHorizon(Instant now, Optional<Instant> oldestOpenStart) {
    public TransactionHorizon {
      Objects.requireNonNull(now, "now");
      Objects.requireNonNull(oldestOpenStart, "oldestOpenStart");
    }
  }

  /**
   * A secondary index.
   *
   * @param name a valid identifier, unique in the schema
   * @param columns the indexed columns, in order
   */
  record Index(String name, List<String> columns) {
    public Index {
      checkIdentifier("index", name);
      columns = List.copyOf(columns);
    }
  }
}
