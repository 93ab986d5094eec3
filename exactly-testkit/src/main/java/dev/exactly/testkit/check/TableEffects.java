package dev.exactly.testkit.check;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Effects held in a database table: one effect per row the query returns. The query's first column
 * is the input id; an optional second column names the attempt that wrote the row (instance,
 * batch), shown in examples of duplicates.
 *
 * <p>Works with any JDBC driver on the class path; nothing here is vendor-specific. A table keeps
 * no order of its own, so {@link #keepsOrder()} is false unless the query orders the rows.
 *
 * <pre>{@code
 * checker.check(new TableEffects("processed_orders", url, "SELECT order_id FROM processed_orders"))
 *     .assertExactlyOnce();
 * }</pre>
 */
public final class TableEffects implements EffectSource {
  private final String name;
  private final String jdbcUrl;
  private final String query;
  private final boolean keepsOrder;

  /**
   * @param name for reports, such as the table's name and database
   * @param jdbcUrl where to read; credentials in the URL
   * @param query returns one row per effect: input id, then optionally an attempt id
   */
  public TableEffects(String name, String jdbcUrl, String query) {
    this(name, jdbcUrl, query, false);
  }

  /**
   * As {@link #TableEffects(String, String, String)}; with {@code keepsOrder}, the rows' order as
   * the query returns them is the order the effects took place in (the query orders them, by an
   * identity column or a timestamp), and the checker verifies each key's sequence against it.
   */
  public TableEffects(String name, String jdbcUrl, String query, boolean keepsOrder) {
    this.name = Objects.requireNonNull(name, "name");
    this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    this.query = Objects.requireNonNull(query, "query");
    this.keepsOrder = keepsOrder;
  }

  @Override
  public String name() {
    return "table " + name;
  }

  @Override
  public List<Effect> read() {
    List<Effect> effects = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      boolean hasAttempt = rs.getMetaData().getColumnCount() >= 2;
      long row = 0;
      while (rs.next()) {
        String attempt = hasAttempt ? String.valueOf(rs.getString(2)) : "";
        String id = rs.getString(1);
        effects.add(
            new Effect(id == null ? RecordEffects.NO_ID : id, attempt, name + " row " + row++));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read effects from " + name + " with " + query, e);
    }
    return effects;
  }

  @Override
  public boolean keepsOrder() {
    return keepsOrder;
  }
}
