package dev.exactly.cli.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.h2.tools.Server;

/**
 * The database every DB stage shares: an H2 TCP server in the demo's own process (which is never
 * killed), so stages in several child JVMs use one database and a killed stage's open transaction
 * is rolled back when its connection drops. Holds the two business tables the checker reads.
 */
final class DemoDatabase implements AutoCloseable {
  private final Server server;
  private final String jdbcUrl;

  private DemoDatabase(Server server, String jdbcUrl) {
    this.server = server;
    this.jdbcUrl = jdbcUrl;
  }

  /** Starts an H2 TCP server on a free loopback port with a new database under {@code dir}. */
  static DemoDatabase startH2(Path dir) throws SQLException {
    int port = freePort();
    Server server =
        Server.createTcpServer(
                "-tcpPort", Integer.toString(port), "-ifNotExists", "-baseDir", dir.toString())
            .start();
    // WRITE_DELAY=0: a commit is on disk before the stage goes on, as a production database.
    DemoDatabase db =
        new DemoDatabase(server, "jdbc:h2:tcp://127.0.0.1:" + port + "/demo;WRITE_DELAY=0");
    db.createTables();
    return db;
  }

  String jdbcUrl() {
    return jdbcUrl;
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl);
  }

  long count(String table) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** No unique key on order_id, on purpose: a repeated effect must show as a second row. */
  private void createTables() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE "
              + DemoTopics.PROCESSED_ORDERS
              + " (id BIGINT AUTO_INCREMENT PRIMARY KEY, order_id VARCHAR(64) NOT NULL,"
              + " customer VARCHAR(64) NOT NULL, score INT NOT NULL, attempt VARCHAR(128) NOT NULL,"
              + " at_ms BIGINT NOT NULL)");
      s.execute(
          "CREATE TABLE "
              + DemoTopics.CHARGES
              + " (id BIGINT AUTO_INCREMENT PRIMARY KEY, order_id VARCHAR(64) NOT NULL,"
              + " customer VARCHAR(64) NOT NULL, attempt VARCHAR(128) NOT NULL,"
              + " at_ms BIGINT NOT NULL)");
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port for the H2 server", e);
    }
  }

  @Override
  public void close() {
    server.stop();
  }
}
