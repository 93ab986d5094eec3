package dev.exactly.jdbc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns when an Exactly component keeps its state in an embedded H2 file database that writes
 * commits late. H2 holds a committed transaction in memory for up to {@code WRITE_DELAY}
 * milliseconds (500 by default) before it reaches the file, so a process killed in that window
 * loses commits it had already acted on: a dedup key marked done after its effect, an outbox row
 * the relay published, sink rows and offsets. Exactly-once rests on those commits, so each JDBC
 * component checks once when it first connects. The delay is read from the database itself ({@code
 * INFORMATION_SCHEMA.SETTINGS}): H2's connection metadata drops the URL's settings, and the setting
 * also persists in the database file.
 *
 * <p>In-memory databases lose everything with the process anyway, and a server ({@code tcp:},
 * {@code ssl:}) keeps the file in another process that this one's death does not touch: neither is
 * warned about.
 */
public final class H2Durability {
  private static final Logger log = LoggerFactory.getLogger(H2Durability.class);
  private static final Pattern SECRET = Pattern.compile("(?i)((?:[a-z_]*password|pwd)\\s*=)[^;]*");

  private H2Durability() {}

  /**
   * The warning for a component on {@code url} whose database writes commits {@code
   * writeDelayMillis} late, or empty when there is nothing to warn about (not an embedded H2 file
   * database, or no delay). Any password setting in the URL is masked.
   *
   * @param component names the component in the message, such as {@code dedup store h2:dedup}
   */
  public static Optional<String> warning(String url, long writeDelayMillis, String component) {
    if (writeDelayMillis <= 0 || !isEmbeddedFile(url)) {
      return Optional.empty();
    }
    return Optional.of(
        component
            + " keeps its state in the H2 file database "
            + masked(url)
            + ", which writes each commit to its file up to "
            + writeDelayMillis
            + " ms after the commit returned (WRITE_DELAY): a killed process (SIGKILL, power"
            + " loss) can lose commits Exactly has already acted on (a dedup key marked done, an"
            + " outbox row published, sink rows and offsets), which breaks exactly-once. Append"
            + " ;WRITE_DELAY=0 to the URL");
  }

  /**
   * Logs the {@link #warning} for the database behind {@code connection}, if it is H2; reads its
   * metadata and one settings row. Never throws: a database that cannot be asked is not warned
   * about (the component's own statements report it).
   */
  public static void check(Connection connection, String component) {
    try {
      String url = connection.getMetaData().getURL();
      if (!isEmbeddedFile(url)) {
        return;
      }
      warning(url, writeDelay(connection), component).ifPresent(log::warn);
    } catch (SQLException | RuntimeException e) {
      log.debug("{}: cannot read H2's WRITE_DELAY, not checked", component, e);
    }
  }

  /** As {@link #check(Connection, String)}, on a connection borrowed from {@code dataSource}. */
  public static void check(DataSource dataSource, String component) {
    try (Connection c = dataSource.getConnection()) {
      check(c, component);
    } catch (SQLException | RuntimeException e) {
      log.debug("{}: cannot connect to read H2's WRITE_DELAY, not checked", component, e);
    }
  }

  /** Whether {@code url} opens an H2 database file inside this process. */
  static boolean isEmbeddedFile(String url) {
    if (url == null || !url.regionMatches(true, 0, "jdbc:h2:", 0, "jdbc:h2:".length())) {
      return false;
    }
    String db = url.substring("jdbc:h2:".length()).split(";", 2)[0].toLowerCase(Locale.ROOT);
    return !(db.startsWith("mem:")
        || db.startsWith("tcp:")
        || db.startsWith("ssl:")
        || db.startsWith("zip:")
        || db.contains("memfs:")
        || db.contains("memlzf:"));
  }

  static String masked(String url) {
    return SECRET.matcher(url).replaceAll("$1****");
  }

  private static long writeDelay(Connection connection) throws SQLException {
    try (PreparedStatement ps =
            connection.prepareStatement(
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                    + " WHERE SETTING_NAME = 'WRITE_DELAY'");
        ResultSet rs = ps.executeQuery()) {
      // H2's default when the row is missing.
      return rs.next() ? Long.parseLong(rs.getString(1).trim()) : 500;
    }
  }
}
