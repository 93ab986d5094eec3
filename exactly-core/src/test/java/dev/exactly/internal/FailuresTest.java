package dev.exactly.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.NonRetriableException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class FailuresTest {
  private final Failures failures = new Failures(Set.of(IllegalArgumentException.class));

  @Test
  void aNonRetriableExceptionIsSeenThroughWrappers() {
    RuntimeException wrapped =
        new CompletionException(
            new IllegalStateException("user wrapper", new NonRetriableException("bad card")));
    assertThat(failures.isNonRetriable(wrapped)).isTrue();
  }

  @Test
  void configuredTypesAndSerializationFailuresAreNonRetriable() {
    assertThat(failures.isNonRetriable(new NumberFormatException("x"))).isTrue(); // a subtype
    assertThat(failures.isNonRetriable(new RuntimeException(new SerializationException("x"))))
        .isTrue();
  }

  @Test
  void anythingElseIsRetried() {
    assertThat(
            failures.isNonRetriable(
                new UncheckedIOException("down", new java.io.IOException("reset"))))
        .isFalse();
    assertThat(failures.isNonRetriable(new IllegalStateException("x"))).isFalse();
    assertThat(new Failures(Set.of()).isNonRetriable(new IllegalArgumentException())).isFalse();
  }

  @Test
  void fencingIsFoundInTheCauseChain() {
    assertThat(Failures.isFenced(new RuntimeException(new ProducerFencedException("x")))).isTrue();
    assertThat(Failures.isFenced(new RuntimeException(new FencedInstanceIdException("x"))))
        .as("a group fence leaves the producer usable: not the producer's fencing")
        .isFalse();
    assertThat(Failures.isFenced(new RuntimeException("x"))).isFalse();
  }
}
