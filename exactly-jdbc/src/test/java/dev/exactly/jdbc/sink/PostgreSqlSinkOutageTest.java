package dev.exactly.jdbc.sink;

import dev.exactly.testkit.ExternalService;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL outages, made on the server: read-only mode as after a failover (SQLState 25006),
 * statement timeouts (57014), and a revoked privilege that fails every record the same way.
 */
class PostgreSqlSinkOutageTest extends AbstractSinkOutageTest {
  private String user;

  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @Override
  protected String adminUrl() {
    return ExternalService.POSTGRESQL.url();
  }

  @Override
  protected String sinkUserUrl() {
    return "jdbc:postgresql://127.0.0.1:5432/test?user=" + user;
  }

  @Override
  protected String dialectName() {
    return "postgresql";
  }

  @Override
  protected void createSinkUser(Statement admin) throws SQLException {
    user = ("exactly_outage" + table.substring("outage_rows_postgresql".length())).toLowerCase();
    admin.execute("CREATE ROLE " + user + " LOGIN");
    admin.execute("GRANT USAGE, CREATE ON SCHEMA public TO " + user);
    admin.execute("GRANT ALL ON " + table + ", " + control + " TO " + user);
  }

  @Override
  protected void dropSinkUser(Statement admin) throws SQLException {
    admin.execute("DROP OWNED BY " + user);
    admin.execute("DROP ROLE " + user);
  }

  @Override
  protected void createSlowTrigger(Statement admin) throws SQLException {
    admin.execute(
        "CREATE FUNCTION "
            + table
            + "_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " IF (SELECT slow FROM "
            + control
            + ") = 1 THEN PERFORM pg_sleep(2); END IF; RETURN NULL; END $$");
    admin.execute(
        "CREATE TRIGGER "
            + table
            + "_slow BEFORE INSERT ON "
            + table
            + " FOR EACH STATEMENT EXECUTE FUNCTION "
            + table
            + "_slow()");
  }

  @Override
  protected String statementTimeoutSql() {
    return "SET statement_timeout = 300";
  }

  /** New sessions of the sink's user start read-only; its open sessions end, as in a failover. */
  private void readOnly(boolean on) throws SQLException {
    admin(
        s -> {
          s.execute(
              "ALTER ROLE "
                  + user
                  + (on
                      ? " SET default_transaction_read_only = on"
                      : " RESET default_transaction_read_only"));
          s.execute(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '"
                  + user
                  + "'");
        });
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

  /**
   * An error no dialect lists as transient (42501, insufficient privilege) that every record meets
   * alike: both halves of a bisected batch fail the same way, so it is an outage, not poison.
   */
  @Test
  void anErrorEveryRecordMeetsAlikeIsAnOutageNotPoison() throws Exception {
    startSink(null);
    produce(0, 100);
    awaitRows(100);
    admin(s -> s.execute("REVOKE INSERT ON " + table + " FROM " + user));
    try {
      produce(100, 100);
      awaitOutageMet();
    } finally {
      admin(s -> s.execute("GRANT INSERT ON " + table + " TO " + user));
    }
    assertEveryRecordLandedOnceAndNoneWasDeadLettered(200);
  }
}
