package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.jdbc.internal.Dialect;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shipped migration files say exactly what the relay would create, and run. */
class OutboxMigrationFilesTest {

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mariadb", "h2"})
  void migrationFileHoldsTheDialectsDdl(String database) throws IOException {
    Dialect dialect =
        switch (database) {
          case "postgresql" -> Dialect.postgresql();
          case "mariadb" -> Dialect.mariadb();
          default -> Dialect.h2();
        };
    assertThat(statements(database))
        .isEqualTo(dialect.createOutboxTableIfAbsent(OutboxTable.DEFAULT_NAME));
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2"})
  void migrationFileRuns(String database) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:h2:mem:migration");
        Statement s = c.createStatement()) {
      for (String sql : statements(database)) {
        s.execute(sql);
      }
      Outbox outbox = Outbox.builder().build();
      assertThat(outbox.write(c, "t", null, new byte[] {1})).isPositive();
    }
  }

  private static List<String> statements(String database) throws IOException {
    try (InputStream in =
        OutboxMigrationFilesTest.class.getResourceAsStream(
            "/db/exactly/outbox-" + database + ".sql")) {
      assertThat(in).as("migration file for " + database).isNotNull();
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String sql = text.lines().filter(l -> !l.startsWith("--")).collect(Collectors.joining(" "));
      return List.of(sql.split(";")).stream()
          .map(String::trim)
          .filter(p -> !p.isEmpty())
          .collect(Collectors.toList());
    }
  }
}
