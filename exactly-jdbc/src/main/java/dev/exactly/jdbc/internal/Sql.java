package dev.exactly.jdbc.internal;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** Helpers the dialects share: placeholders, column lists, and walking an error's chain. */
public final class Sql {
  private static final int MAX_CHAIN = 32;
  // org.h2.api.ErrorCode.TABLE_OR_VIEW_NOT_FOUND_1, _WITH_CANDIDATES_2 and _DATABASE_EMPTY_1,
  // without needing H2 on the class path
  private static final int H2_TABLE_NOT_FOUND = 42102;
  private static final int H2_TABLE_NOT_FOUND_WITH_CANDIDATES = 42103;
  private static final int H2_TABLE_NOT_FOUND_DATABASE_EMPTY = 42104;

  private Sql() {}

  /**
   * Standard-SQL DDL for a table and its secondary indexes, for databases that have {@code CREATE
   * INDEX IF NOT EXISTS} (PostgreSQL, H2); MariaDB declares its indexes inside the table instead.
   */
  static List<String> createTableIfAbsent(
      String table,
      List<Column> columns,
      List<String> primaryKey,
      List<Dialect.Index> indexes,
      Function<Column, String> columnType) {
    Dialect.checkIdentifier("table", table);
    List<String> out = new ArrayList<>();
    out.add(
        "CREATE TABLE IF NOT EXISTS "
            + table
            + " ("
            + columns.stream()
                .map(
                    c ->
                        Dialect.checkIdentifier("column", c.name())
                            + " "
                            + columnType.apply(c)
                            + (c.nullable() ? "" : " NOT NULL"))
                .collect(Collectors.joining(", "))
            + ", PRIMARY KEY ("
            + columns(primaryKey)
            + "))");
    for (Dialect.Index index : indexes) {
      out.add(
          "CREATE INDEX IF NOT EXISTS "
              + index.name()
              + " ON "
              + table
              + " ("
              + columns(index.columns())
              + ")");
    }
    return out;
  }

  static String columns(List<String> columns) {
    return String.join(", ", columns);
  }

  /** {@code (?, ?), (?, ?)} for {@code rows} rows of {@code width} columns. */
  public static String rows(int width, int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("rows must be at least 1, got " + rows);
    }
    String one = "(" + String.join(", ", Collections.nCopies(width, "?")) + ")";
    return String.join(", ", Collections.nCopies(rows, one));
  }

  /** Checks every name; the dialects call it so no builder can be handed an unchecked name. */
  static void check(String table, List<String> columns, List<String> keys) {
    Dialect.checkIdentifier("table", table);
    if (columns.isEmpty() || keys.isEmpty()) {
      throw new IllegalArgumentException("columns and key columns must not be empty");
    }
    columns.forEach(c -> Dialect.checkIdentifier("column", c));
    for (String k : keys) {
      if (!columns.contains(k)) {
        throw new IllegalArgumentException("key column " + k + " is not among " + columns);
      }
    }
  }

  static void checkStale(List<String> columns, List<String> keys, String stale, String now) {
    for (String c : List.of(stale, now)) {
      if (!columns.contains(c) || keys.contains(c)) {
        throw new IllegalArgumentException(c + " must be a non-key column among " + columns);
      }
    }
  }

  static void checkAdding(List<String> columns, List<String> keys, String add) {
    if (!columns.contains(add) || keys.contains(add)) {
      throw new IllegalArgumentException(add + " must be a non-key column among " + columns);
    }
  }

  static List<String> nonKeys(List<String> columns, List<String> keys) {
    return columns.stream().filter(c -> !keys.contains(c)).collect(Collectors.toList());
  }

  /** The unqualified part of a possibly schema-qualified name. */
  public static String local(String table) {
    int dot = table.indexOf('.');
    return dot < 0 ? table : table.substring(dot + 1);
  }

  /**
   * The first kind other than {@link SqlErrorKind#OTHER} that {@code single} finds in the chain of
   * causes and next exceptions, guarding against cycles.
   */
  static SqlErrorKind classify(Throwable error, Function<SQLException, SqlErrorKind> single) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    return walk(error, single, seen);
  }

  private static SqlErrorKind walk(
      Throwable t, Function<SQLException, SqlErrorKind> single, Set<Throwable> seen) {
    while (t != null && seen.size() < MAX_CHAIN && seen.add(t)) {
      if (t instanceof SQLException sql) {
        SqlErrorKind kind = single.apply(sql);
        if (kind != SqlErrorKind.OTHER) {
          return kind;
        }
        SQLException next = sql.getNextException();
        if (next != null && next != t.getCause()) {
          SqlErrorKind nested = walk(next, single, seen);
          if (nested != SqlErrorKind.OTHER) {
            return nested;
          }
        }
      }
      t = t.getCause();
    }
    return SqlErrorKind.OTHER;
  }

  /**
   * The SQLState and vendor code of the first {@link SQLException} in {@code error}'s causes that
   * has a SQLState and is not {@code causedByData}; empty when there is none (the error came from
   * the data or from outside the database).
   */
  static Optional<String> outageSignature(Throwable error, Predicate<SQLException> causedByData) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = error; t != null && seen.size() < MAX_CHAIN && seen.add(t); ) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        return causedByData.test(sql)
            ? Optional.empty()
            : Optional.of(sql.getSQLState() + "/" + sql.getErrorCode());
      }
      t = t.getCause();
    }
    return Optional.empty();
  }

  /**
   * SQL-standard classes of errors that the values written cause: 22 data exception, 23 integrity
   * constraint violation, 27 triggered data change violation, 44 WITH CHECK OPTION violation.
   */
  static boolean dataState(String state) {
    return state != null
        && (state.startsWith("22")
            || state.startsWith("23")
            || state.startsWith("27")
            || state.startsWith("44"));
  }

  /**
   * Whether {@code error} says a table does not exist: SQLState 42P01 (PostgreSQL), 42S02 (MariaDB,
   * MySQL and H2), or H2's table-not-found codes, anywhere in its causes.
   */
  public static boolean undefinedTable(Throwable error) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = error; t != null && seen.size() < MAX_CHAIN && seen.add(t); ) {
      if (t instanceof SQLException sql
          && ("42P01".equals(sql.getSQLState())
              || "42S02".equals(sql.getSQLState())
              || sql.getErrorCode() == H2_TABLE_NOT_FOUND
              || sql.getErrorCode() == H2_TABLE_NOT_FOUND_WITH_CANDIDATES
              || sql.getErrorCode() == H2_TABLE_NOT_FOUND_DATABASE_EMPTY)) {
        return true;
      }
      t = t.getCause();
    }
    return false;
  }

  /** SQLState class 08 is a connection exception in every database. */
  static boolean connectionState(String state) {
    return state != null && state.startsWith("08");
  }
}
