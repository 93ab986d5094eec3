package dev.exactly.jdbc.outbox;

import dev.exactly.jdbc.internal.Dialect;
import java.util.Collections;
import java.util.Locale;

/**
 * The statements on one outbox table. The table name was checked as an identifier before it gets
 * here; every value is bound, never pasted. Portable SQL ({@code LIMIT} is understood by all three
 * databases); what differs lives in the {@link Dialect}.
 */
final class OutboxTable {
  static final String DEFAULT_NAME = "exactly_outbox";
  private static final String COLUMNS = "id, topic, msg_key, msg_value, headers, created_at";

  final String name;

  OutboxTable(String name) {
    this.name = Dialect.checkIdentifier("table", name);
  }

  String insert() {
    return "INSERT INTO "
        + name
        + " (topic, msg_key, msg_value, headers, created_at) VALUES (?, ?, ?, ?, ?)";
  }

  String selectAfter(int limit) {
    return "SELECT " + COLUMNS + " FROM " + name + " WHERE id > ? ORDER BY id LIMIT " + limit;
  }

  /**
   * Up to {@code limit} rows above {@code ?}, and the rows with one of {@code count} ids: one
   * statement, so one snapshot. Two branches, because an {@code OR} of the two conditions makes H2
   * walk the whole table and PostgreSQL read the whole backlog before the limit; each branch here
   * is an index range or lookup. The caller sorts the rows.
   */
  String selectAfterOrIds(int count, int limit) {
    if (count == 0) {
      return selectAfter(limit);
    }
    return "("
        + selectAfter(limit)
        + ") UNION ALL (SELECT "
        + COLUMNS
        + " FROM "
        + name
        + " WHERE id IN ("
        + String.join(", ", Collections.nCopies(count, "?"))
        + "))";
  }

  String selectIds(int count) {
    return "SELECT "
        + COLUMNS
        + " FROM "
        + name
        + " WHERE id IN ("
        + String.join(", ", Collections.nCopies(count, "?"))
        + ") ORDER BY id";
  }

  /**
   * The oldest published ids with their creation time, in id order; the caller stops at the first
   * one younger than the retention and leaves out open gaps.
   */
  String selectOldest(int limit) {
    return "SELECT id, created_at FROM " + name + " WHERE id <= ? ORDER BY id LIMIT " + limit;
  }

  String deleteIds(int count) {
    return "DELETE FROM "
        + name
        + " WHERE id IN ("
        + String.join(", ", Collections.nCopies(count, "?"))
        + ")";
  }

  /**
   * The lowest and highest id above the high-water mark: two index lookups. A COUNT would read
   * every row of the backlog, and cost the most when the backlog is largest.
   */
  String backlogRange() {
    return "SELECT MIN(id), MAX(id) FROM " + name + " WHERE id > ?";
  }

  String createdAt() {
    return "SELECT created_at FROM " + name + " WHERE id = ?";
  }

  /** The notification channel for this table: lower case, as PostgreSQL folds names. */
  String channel() {
    String c = ("exactly_outbox_" + name.replace('.', '_')).toLowerCase(Locale.ROOT);
    return c.length() <= 63 ? c : c.substring(0, 54) + Integer.toHexString(c.hashCode());
  }
}
