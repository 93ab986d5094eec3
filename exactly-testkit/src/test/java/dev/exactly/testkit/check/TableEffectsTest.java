package dev.exactly.testkit.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A table read as effects: one row per input passes; a missing or doubled row fails. */
class TableEffectsTest {
  private static final List<Input> INPUTS =
      List.of(new Input("o1", "o1", 0), new Input("o2", "o2", 0), new Input("o3", "o3", 0));

  @Test
  void oneRowPerInputIsExactlyOnce() throws SQLException {
    String url = table("t_ok", "('o1','w1'),('o2','w1'),('o3','w2')");
    CheckReport report =
        new ExactlyOnceChecker(INPUTS)
            .check(new TableEffects("t_ok", url, "SELECT id, writer FROM t_ok"));
    assertThat(report.isExactlyOnce()).isTrue();
    assertThat(report.observed()).isEqualTo(3);
  }

  @Test
  void doubledAndMissingRowsAreReported() throws SQLException {
    String url = table("t_bad", "('o1','w1'),('o1','w2'),('o3','w2'),('zz','w2')");
    CheckReport report =
        new ExactlyOnceChecker(INPUTS)
            .check(new TableEffects("t_bad", url, "SELECT id, writer FROM t_bad"));
    assertThat(report.duplicated()).containsEntry("o1", 2);
    assertThat(report.lost()).containsExactly("o2");
    assertThat(report.unexpected()).hasSize(1);
    assertThat(report.duplicateExamples().get(0)).contains("w1").contains("w2");
    assertThatThrownBy(report::assertExactlyOnce).hasMessageContaining("VIOLATED");
  }

  private static String table(String name, String values) throws SQLException {
    String url = "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1";
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + name + " (id VARCHAR(20), writer VARCHAR(20))");
      s.execute("INSERT INTO " + name + " VALUES " + values);
    }
    return url;
  }
}
