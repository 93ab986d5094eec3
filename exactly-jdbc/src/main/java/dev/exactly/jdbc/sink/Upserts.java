package dev.exactly.jdbc.sink;

import dev.exactly.jdbc.internal.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Multi-row writes for a {@link BatchHandler}, in the SQL of whichever database the connection
 * reaches (PostgreSQL, MariaDB/MySQL, H2): one statement per few hundred rows, not one per record.
 *
 * <p>Rows are given as lists of values in {@code columns} order. Before writing, rows that repeat a
 * key are merged (the first wins for {@link #insertIfAbsent}, the last for {@link #upsert}) and the
 * rest are sorted by key, so two transactions touching the same keys lock them in the same order.
 * Table and column names must be plain SQL identifiers; they are checked, never quoted. The key
 * columns need a primary key or unique index.
 *
 * <pre>{@code
 * Upserts.insertIfAbsent(connection, "processed_orders",
 *     List.of("order_id", "amount"), List.of("order_id"),
 *     records.stream().map(r -> List.<Object>of(r.key(), r.value())).toList());
 * }</pre>
 *
 * <p>Statements run on the caller's connection and transaction; nothing is committed here.
 */
public final class Upserts {
  /** PostgreSQL allows 32,767 parameters per statement; stay well inside every database's limit. */
  private static final int MAX_PARAMETERS = 30_000;

  private static final int MAX_ROWS = 500;

  private Upserts() {}

  /** Inserts the rows whose key is absent and leaves existing rows untouched. */
  public static void insertIfAbsent(
      Connection connection,
      String table,
      List<String> columns,
      List<String> keyColumns,
      List<? extends List<?>> rows)
      throws SQLException {
    write(connection, table, columns, keyColumns, rows, Mode.INSERT_IF_ABSENT, null);
  }

  /** Inserts new rows and overwrites every non-key column of rows whose key exists. */
  public static void upsert(
      Connection connection,
      String table,
      List<String> columns,
      List<String> keyColumns,
      List<? extends List<?>> rows)
      throws SQLException {
    write(connection, table, columns, keyColumns, rows, Mode.UPSERT, null);
  }

  /**
   * Like {@link #upsert}, but the numeric {@code addColumn} is added to, not overwritten: an
   * existing row's value becomes the old value plus the new row's, and rows repeating a key add up
   * before writing (the last row wins for the other columns). Written with 1 per record, it counts
   * the records applied to each row, so a record applied twice shows.
   */
  public static void upsertAdding(
      Connection connection,
      String table,
      List<String> columns,
      List<String> keyColumns,
      String addColumn,
      List<? extends List<?>> rows)
      throws SQLException {
    Objects.requireNonNull(addColumn, "addColumn");
    write(connection, table, columns, keyColumns, rows, Mode.ADD, addColumn);
  }

  private enum Mode {
    INSERT_IF_ABSENT,
    UPSERT,
    ADD
  }

  private static void write(
      Connection c,
      String table,
      List<String> columns,
      List<String> keyColumns,
      List<? extends List<?>> rows,
      Mode mode,
      String addColumn)
      throws SQLException {
    Objects.requireNonNull(rows, "rows");
    if (rows.isEmpty()) {
      return;
    }
    Dialect dialect = Dialect.of(c);
    int[] keyIndex = keyColumns.stream().mapToInt(columns::indexOf).toArray();
    int addIndex = addColumn == null ? -1 : columns.indexOf(addColumn);
    if (mode == Mode.ADD && addIndex < 0) {
      throw new IllegalArgumentException("column " + addColumn + " is not among " + columns);
    }
    Map<List<Object>, List<?>> byKey = new LinkedHashMap<>();
    for (List<?> row : rows) {
      if (row.size() != columns.size()) {
        throw new IllegalArgumentException(
            "row " + row + " has " + row.size() + " values for columns " + columns);
      }
      List<Object> key = new ArrayList<>(keyIndex.length);
      for (int i : keyIndex) {
        if (i < 0) {
          throw new IllegalArgumentException("key columns " + keyColumns + " not among " + columns);
        }
        key.add(row.get(i));
      }
      switch (mode) {
        case INSERT_IF_ABSENT -> byKey.putIfAbsent(key, row);
        case UPSERT -> byKey.put(key, row);
        case ADD -> byKey.merge(key, row, (old, now) -> added(old, now, addIndex));
      }
    }
    List<Map.Entry<List<Object>, List<?>>> sorted = new ArrayList<>(byKey.entrySet());
    sorted.sort(Map.Entry.comparingByKey(Upserts::compareKeys));
    int perStatement = Math.max(1, Math.min(MAX_ROWS, MAX_PARAMETERS / columns.size()));
    String full = null;
    for (int from = 0; from < sorted.size(); from += perStatement) {
      int n = Math.min(perStatement, sorted.size() - from);
      String sql;
      if (n == perStatement) {
        if (full == null) {
          full = statement(dialect, table, columns, keyColumns, n, mode, addColumn);
        }
        sql = full;
      } else {
        sql = statement(dialect, table, columns, keyColumns, n, mode, addColumn);
      }
      try (PreparedStatement s = c.prepareStatement(sql)) {
        int p = 1;
        for (Map.Entry<List<Object>, List<?>> e : sorted.subList(from, from + n)) {
          for (Object v : e.getValue()) {
            s.setObject(p++, v);
          }
        }
        s.executeUpdate();
      }
    }
  }

  private static String statement(
      Dialect d,
      String table,
      List<String> columns,
      List<String> keys,
      int n,
      Mode mode,
      String addColumn) {
    return switch (mode) {
      case INSERT_IF_ABSENT -> d.insertIfAbsent(table, columns, keys, n);
      case UPSERT -> d.upsert(table, columns, keys, n);
      case ADD -> d.upsertAdding(table, columns, keys, addColumn, n);
    };
  }

  /** The later row, with the sum of both rows' {@code addIndex} values. */
  private static List<?> added(List<?> earlier, List<?> later, int addIndex) {
    if (!(earlier.get(addIndex) instanceof Number a)
        || !(later.get(addIndex) instanceof Number b)) {
      throw new IllegalArgumentException(
          "the added column needs numbers, got "
              + earlier.get(addIndex)
              + " and "
              + later.get(addIndex));
    }
    List<Object> out = new ArrayList<>(later);
    out.set(addIndex, a.longValue() + b.longValue());
    return out;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compareKeys(List<Object> a, List<Object> b) {
    for (int i = 0; i < a.size(); i++) {
      Object x = a.get(i);
      Object y = b.get(i);
      int c;
      if (x instanceof Comparable cx && y != null && x.getClass() == y.getClass()) {
        c = cx.compareTo(y);
      } else {
        c =
            Comparator.nullsFirst(Comparator.<String>naturalOrder())
                .compare(x == null ? null : x.toString(), y == null ? null : y.toString());
      }
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }
}
