package dev.exactly.cli.demo;

import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The charge stage's DB writes: a {@code charges} row and an outbox row for {@code notifications},
 * in the caller's transaction or, for a dedup store outside the database, in one of their own made
 * idempotent by a unique mark per order.
 */
final class ChargeRecords {
  /** SQLState of a unique-key violation, the same on PostgreSQL and H2. */
  private static final String UNIQUE_VIOLATION = "23505";

  private final Outbox outbox = Outbox.builder().table(DemoTopics.CHARGE_OUTBOX).build();
  private final String attempt;

  ChargeRecords(String attempt) {
    this.attempt = attempt;
  }

  /** Writes on {@code c}; the caller commits. */
  void write(Connection c, Input order) throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO "
                + DemoTopics.CHARGES
                + " (order_id, customer, attempt, at_ms) VALUES (?, ?, ?, ?)")) {
      insert.setString(1, order.id());
      insert.setString(2, order.key());
      insert.setString(3, attempt);
      insert.setLong(4, System.currentTimeMillis());
      insert.executeUpdate();
    }
    outbox.write(
        c,
        DemoTopics.NOTIFICATIONS,
        order.key().getBytes(StandardCharsets.UTF_8),
        RecordCodec.encodeOutput(order, attempt));
  }

  /**
   * Writes in a transaction of its own, first inserting the order's mark: when a run killed after
   * this commit and before its dedup store heard of it is repeated, the mark's unique key refuses
   * the repeat and nothing is written twice.
   */
  void writeOnce(DataSource db, Input order) throws SQLException {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement mark =
          c.prepareStatement("INSERT INTO " + DemoTopics.CHARGE_MARKS + " (order_id) VALUES (?)")) {
        mark.setString(1, order.id());
        mark.executeUpdate();
        write(c, order);
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
          throw e;
        }
      }
    }
  }
}
