package dev.exactly.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.jdbc.Database;
import dev.exactly.jdbc.internal.Dialect;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --jdbc-url}, {@code --jdbc-user} and {@code --jdbc-config}: how every command reaches its
 * database. The password never travels on the command line, where {@code ps} shows it: it comes
 * from the environment ({@value #PASSWORD_VARIABLE}) or from the {@code password} key of the {@code
 * --jdbc-config} file. Neither the user nor the password is ever printed.
 */
final class JdbcOptions {
  static final String USER_VARIABLE = "EXACTLY_JDBC_USER";
  static final String PASSWORD_VARIABLE = "EXACTLY_JDBC_PASSWORD";

  /** The sink's own pool bounds lock waits and idle transactions the same way (docs/db-sink.md). */
  private static final Duration LOCK_WAIT = Duration.ofSeconds(10);

  private static final Duration IDLE_IN_TRANSACTION = Duration.ofSeconds(60);

  @Option(
      names = "--jdbc-url",
      paramLabel = "URL",
      description = "The database: jdbc:postgresql://..., jdbc:mariadb://..., jdbc:h2:...")
  String url;

  @Option(
      names = "--jdbc-user",
      paramLabel = "USER",
      description = "Database user (default: $" + USER_VARIABLE + ", or user in --jdbc-config)")
  String user;

  @Option(
      names = "--jdbc-config",
      paramLabel = "FILE",
      description =
          "Driver properties file (user, password, ssl...); the password may also come from $"
              + PASSWORD_VARIABLE)
  Path config;

  /**
   * A pool of {@code size} connections to the database, with the dialect's session limits (bounded
   * lock waits, and on PostgreSQL an end to sessions idle in a transaction, plus TCP keepalive).
   *
   * @param connectionTimeout how long a borrower waits for a connection before failing
   * @param urlWhenAbsent the URL to use without {@code --jdbc-url}, or null when it is required
   * @throws CommandLine.ParameterException (exit 2) when the URL is missing or names a database
   *     Exactly does not support
   */
  HikariDataSource pool(
      CommandLine command,
      String name,
      int size,
      Duration connectionTimeout,
      String urlWhenAbsent,
      Map<String, String> env) {
    String jdbcUrl = url != null ? url : urlWhenAbsent;
    if (jdbcUrl == null) {
      throw new CommandLine.ParameterException(
          command, "Missing required option: '--jdbc-url=URL'");
    }
    Dialect dialect =
        Database.ofJdbcUrl(jdbcUrl)
            .map(Dialect::of)
            .orElseThrow(
                () ->
                    new CommandLine.ParameterException(
                        command,
                        "Invalid value for option '--jdbc-url': "
                            + redacted(jdbcUrl)
                            + " is not a PostgreSQL, MariaDB/MySQL or H2 URL; use"
                            + " jdbc:postgresql://, jdbc:mariadb://, jdbc:mysql:// or jdbc:h2:"));
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(jdbcUrl);
    hikari.setPoolName(name);
    hikari.setMaximumPoolSize(size);
    hikari.setMinimumIdle(1);
    hikari.setConnectionTimeout(connectionTimeout.toMillis());
    PropertiesFiles.read(config).forEach((k, v) -> hikari.addDataSourceProperty(k, v));
    String u = user != null ? user : env.get(USER_VARIABLE);
    if (u != null) {
      hikari.setUsername(u);
    }
    String password = env.get(PASSWORD_VARIABLE);
    if (password != null) {
      hikari.setPassword(password);
    }
    dialect.sessionLimits(LOCK_WAIT, IDLE_IN_TRANSACTION).ifPresent(hikari::setConnectionInitSql);
    if (dialect == Dialect.postgresql()) {
      hikari.addDataSourceProperty("tcpKeepAlive", "true");
    }
    return new HikariDataSource(hikari);
  }

  /** The URL without its query string, where drivers take passwords, for messages. */
  static String redacted(String jdbcUrl) {
    int q = jdbcUrl.indexOf('?');
    int semicolon = jdbcUrl.indexOf(';');
    int cut = q < 0 ? semicolon : semicolon < 0 ? q : Math.min(q, semicolon);
    return cut < 0 ? jdbcUrl : jdbcUrl.substring(0, cut) + "...";
  }
}
