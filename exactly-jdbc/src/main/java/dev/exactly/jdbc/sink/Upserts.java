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
    write(connection, table, columns, keyColumns, rows, false);
  }

  /** Inserts new rows and overwrites every non-key column of rows whose key exists. */
  public static void upsert(
      Connection connection,
      String table,
      List<String> columns,
      List<String> keyColumns,
      List<? extends List<?>> rows)
      throws SQLException {
    write(connection, table, columns, keyColumns, rows, true);
  }

  private static void write(
      Connection c,
      String table,
      List<String> columns,
      List<String> keyColumns,
      List<? extends List<?>> rows,
      boolean overwrite)
      throws SQLException {
    Objects.requireNonNull(rows, "rows");
    if (rows.isEmpty()) {
      return;
    }
    Dialect dialect = Dialect.of(c);
    int[] keyIndex = keyColumns.stream().mapToInt(columns::indexOf).toArray();
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
      if (overwrite) {
        byKey.put(key, row);
      } else {
        byKey.putIfAbsent(key, row);
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
          full = statement(dialect, table, columns, keyColumns, n, overwrite);
        }
        sql = full;
      } else {
        sql = statement(dialect, table, columns, keyColumns, n, overwrite);
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
      Dialect d, String table, List<String> columns, List<String> keys, int n, boolean overwrite) {
    return overwrite
        ? d.upsert(table, columns, keys, n)
        : d.insertIfAbsent(table, columns, keys, n);
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
