package dev.exactly.spring.boot;

import dev.exactly.jdbc.outbox.OutboxRelay;
import dev.exactly.jdbc.sink.DbSinkBuilder;

/**
 * Adjusts the builders of the JDBC components (needs exactly-jdbc), after the properties and before
 * {@code build()}; see {@link ExactlyCustomizer}.
 */
public final class ExactlyJdbcCustomizer {
  private ExactlyJdbcCustomizer() {}

  /** Adjusts each DB sink's builder. */
  @FunctionalInterface
  public interface Sink {
    void customize(String name, DbSinkBuilder<?, ?> builder);
  }

  /** Adjusts the outbox relay's builder. */
  @FunctionalInterface
  public interface Relay {
    void customize(OutboxRelay.Builder builder);
  }
}
