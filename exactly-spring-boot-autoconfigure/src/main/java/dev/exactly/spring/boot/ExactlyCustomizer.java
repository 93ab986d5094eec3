package dev.exactly.spring.boot;

import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.processor.ExactlyOnceProcessor;

/**
 * Adjusts a builder after the starter has applied the properties and before it builds the
 * component, so a user can set what the properties do not (a retry policy, a dedup key function,
 * non-retriable types) without giving up the auto-configuration. Declare beans of the nested types;
 * every bean of a type is applied, in {@code @Order}, to every component of that kind.
 */
public final class ExactlyCustomizer {
  private ExactlyCustomizer() {}

  /** Adjusts each processor's builder, including those of {@code @ExactlyOnceListener} methods. */
  @FunctionalInterface
  public interface Processor {
    /**
     * @param name the processor's name ({@code exactly.processors.<name>} or the listener's bean
     *     and method)
     */
    void customize(String name, ExactlyOnceProcessor.Builder<?, ?, ?, ?> builder);
  }

  /** Adjusts each idempotent consumer's builder. */
  @FunctionalInterface
  public interface Consumer {
    void customize(String name, IdempotentConsumer.Builder<?, ?> builder);
  }
}
