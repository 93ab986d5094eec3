package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class OutboxTableTest {

  /**
   * The relay reads new rows and awaited ids in one statement. Written as {@code id > ? OR id IN
   * (...)}, H2 walked the primary key from the table's first row and tested every row, so each read
   * of a relay with a gap cost the whole table.
   */
  @Test
  void readingNewRowsAndAwaitedIdsSeeksTheIndexInsteadOfScanningTheTable() throws Exception {
    OutboxTable table = new OutboxTable("plan_outbox");
    try (Connection c = DriverManager.getConnection("jdbc:h2:mem:outbox-plan");
        Statement s = c.createStatement()) {
      Outbox.builder().table(table.name).build().createTableIfAbsent(c);
      String plan;
      try (PreparedStatement ps =
          c.prepareStatement("EXPLAIN ANALYZE " + table.selectAfterOrIds(2, 102))) {
        for (int i = 0; i < 2_000; i++) {
          s.execute(
              "INSERT INTO plan_outbox (topic, msg_key, msg_value, headers, created_at)"
                  + " VALUES ('t', NULL, NULL, NULL, 0)");
        }
        ps.setLong(1, 1_990);
        ps.setLong(2, 1_000);
        ps.setLong(3, 1_001);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          plan = rs.getString(1).toUpperCase(Locale.ROOT);
        }
      }
      // H2 prints each table access with the rows it scanned: the 10 new rows and the 2 awaited
      // ones, and a probe past each range's end (15 here), not the 2,000 of the table.
      assertThat(scanned(plan)).as(plan).isPositive().isLessThanOrEqualTo(20);
    }
  }

  private static int scanned(String plan) {
    int total = 0;
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("SCANCOUNT: (\\d+)").matcher(plan);
    while (m.find()) {
      total += Integer.parseInt(m.group(1));
    }
    return total;
  }
}
