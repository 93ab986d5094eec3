package dev.exactly.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ConfigurationException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DatabaseTest {

  @Test
  void refusesAnUnsupportedDatabase() {
    assertThatThrownBy(() -> Database.forProductName("Oracle", "jdbc:oracle:thin:@x"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("Oracle")
        .hasMessageContaining("PostgreSQL, MariaDB/MySQL and H2");
  }

  @Test
  void readsTheDatabaseFromProductNamesAndUrls() {
    assertThat(Database.forProductName("PostgreSQL", "x")).isEqualTo(Database.POSTGRESQL);
    assertThat(Database.forProductName("MySQL", "x")).isEqualTo(Database.MARIADB);
    assertThat(Database.forProductName("MariaDB", "x")).isEqualTo(Database.MARIADB);
    assertThat(Database.forProductName("H2", "x")).isEqualTo(Database.H2);
    assertThat(Database.ofJdbcUrl("jdbc:postgresql://h/db")).contains(Database.POSTGRESQL);
    assertThat(Database.ofJdbcUrl("jdbc:mysql://h/db")).contains(Database.MARIADB);
    assertThat(Database.ofJdbcUrl("jdbc:h2:mem:x")).contains(Database.H2);
    assertThat(Database.ofJdbcUrl("jdbc:oracle:thin:@x")).isEqualTo(Optional.empty());
  }
}
