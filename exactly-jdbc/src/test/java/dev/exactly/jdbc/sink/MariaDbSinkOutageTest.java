package dev.exactly.jdbc.sink;

import dev.exactly.testkit.ExternalService;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MariaDB outages, made on the server: {@code read_only} (error 1290; it binds users without the
 * READ ONLY ADMIN privilege, so the sink connects as one) and {@code max_statement_time} (1969).
 */
class MariaDbSinkOutageTest extends AbstractSinkOutageTest {
  private String user;

  @BeforeAll
  static void server() {
    ExternalService.MARIADB.assumeAvailable();
  }

  @Override
  protected String adminUrl() {
    return ExternalService.MARIADB.url();
  }

  @Override
  protected String sinkUserUrl() {
    return "jdbc:mariadb://127.0.0.1:3306/test?user=" + user;
  }

  @Override
  protected String dialectName() {
    return "mariadb";
  }

  @Override
  protected void createSinkUser(Statement admin) throws SQLException {
    user = "exactly_outage" + table.substring("outage_rows_mariadb".length());
    admin.execute("CREATE USER '" + user + "'@'%'");
    admin.execute("GRANT ALL ON test.* TO '" + user + "'@'%'");
  }

  @Override
  protected void dropSinkUser(Statement admin) throws SQLException {
    admin.execute("DROP USER IF EXISTS '" + user + "'@'%'");
  }

  @Override
  protected void createSlowTrigger(Statement admin) throws SQLException {
    admin.execute(
        "CREATE TRIGGER "
            + table
            + "_slow BEFORE INSERT ON "
            + table
            + " FOR EACH ROW DO SLEEP(2 * (SELECT slow FROM "
            + control
            + "))");
  }

  @Override
  protected String statementTimeoutSql() {
    return "SET SESSION max_statement_time = 0.3";
  }

  /** The whole server goes read-only, as a primary demoted in a failover does. */
  private void readOnly(boolean on) throws SQLException {
    admin(s -> s.execute("SET GLOBAL read_only = " + (on ? 1 : 0)));
  }

  @Test
  void readOnlyFailoverNeverSendsRecordsToTheDeadLetterTopic() throws Exception {
    startSink(null);
    produce(0, 100);
    awaitRows(100);
    readOnly(true);
    try {
      produce(100, 100);
      awaitOutageMet();
    } finally {
      readOnly(false);
    }
    assertEveryRecordLandedOnceAndNoneWasDeadLettered(200);
  }

  @Test
  void statementTimeoutsDuringARunNeverSendRecordsToTheDeadLetterTopic() throws Exception {
    statementTimeoutsNeverSendRecordsToTheDeadLetterTopic();
  }
}
