package dev.exactly.jdbc;

import dev.exactly.ConfigurationException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The databases Exactly supports. Builders detect the database from the connection's metadata; pass
 * one only to skip that, for example when the database is not up yet at build time.
 */
public enum Database {
  POSTGRESQL,
  /** MariaDB, and MySQL 8 through the same SQL. */
  MARIADB,
  H2;

  /**
   * The database behind {@code connection}, from its metadata's product name. The connection is
   * only read, not closed.
   *
   * @throws ConfigurationException when the database is not one Exactly supports
   */
  public static Database of(Connection connection) throws SQLException {
    DatabaseMetaData meta = connection.getMetaData();
    return forProductName(meta.getDatabaseProductName(), meta.getURL());
  }

  /**
   * The database behind {@code dataSource}; borrows one connection briefly.
   *
   * @throws ConfigurationException when the database is not one Exactly supports
   */
  public static Database of(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return of(c);
    }
  }

  /**
   * The database a JDBC URL names ({@code jdbc:postgresql:}, {@code jdbc:mariadb:}, {@code
   * jdbc:mysql:}, {@code jdbc:h2:}), without connecting; empty for any other URL, whose database
   * only a connection can tell.
   */
  public static Optional<Database> ofJdbcUrl(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return Optional.of(POSTGRESQL);
    }
    if (jdbcUrl.startsWith("jdbc:mariadb:") || jdbcUrl.startsWith("jdbc:mysql:")) {
      return Optional.of(MARIADB);
    }
    if (jdbcUrl.startsWith("jdbc:h2:")) {
      return Optional.of(H2);
    }
    return Optional.empty();
  }

  /**
   * The database for a JDBC product name ({@code PostgreSQL}, {@code MariaDB}, {@code MySQL},
   * {@code H2}).
   *
   * @param where the URL or data source, for the error message
   */
  static Database forProductName(String productName, String where) {
    String p = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
    if (p.contains("postgresql")) {
      return POSTGRESQL;
    }
    if (p.contains("mariadb") || p.contains("mysql")) {
      return MARIADB;
    }
    if (p.equals("h2")) {
      return H2;
    }
    throw new ConfigurationException(
        "dataSource",
        where,
        "is a "
            + productName
            + " database; Exactly supports PostgreSQL, MariaDB/MySQL and H2: use one of those");
  }
}
