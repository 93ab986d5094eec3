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
 * no order the checker could verify, so {@link #keepsOrder()} is false.
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

  /**
   * @param name for reports, such as the table's name and database
   * @param jdbcUrl where to read; credentials in the URL
   * @param query returns one row per effect: input id, then optionally an attempt id
   */
  public TableEffects(String name, String jdbcUrl, String query) {
    this.name = Objects.requireNonNull(name, "name");
    this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    this.query = Objects.requireNonNull(query, "query");
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
        effects.add(new Effect(rs.getString(1), attempt, name + " row " + row++));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read effects from " + name + " with " + query, e);
    }
    return effects;
  }

  @Override
  public boolean keepsOrder() {
    return false;
  }
}
