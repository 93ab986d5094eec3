package dev.exactly.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ConfigurationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentifierTest {

  @ParameterizedTest
  @ValueSource(strings = {"exactly_dedup", "_t", "Orders2", "app.exactly_dedup"})
  void acceptsPlainAndSchemaQualifiedNames(String name) {
    assertThat(Dialect.checkIdentifier("dedup.table", name)).isEqualTo(name);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "1table",
        "t;drop table x",
        "t x",
        "\"quoted\"",
        "a.b.c",
        "t--",
        "ta\u00efble",
        "a234567890123456789012345678901234567890123456789012345678901234"
      })
  void refusesAnythingElseNamingKeyValueAndFix(String name) {
    assertThatThrownBy(() -> Dialect.checkIdentifier("dedup.table", name))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("dedup.table='" + name + "'")
        .hasMessageContaining("use letters, digits and underscores");
  }

  @org.junit.jupiter.api.Test
  void refusesNull() {
    assertThatThrownBy(() -> Dialect.checkIdentifier("dedup.table", null))
        .hasMessageStartingWith("dedup.table=null");
  }
}
