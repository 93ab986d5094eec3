package dev.exactly;

import java.time.Duration;
import java.util.Optional;

/**
 * What every running part of Exactly (the processor, the idempotent consumer, the DB sink, the
 * outbox relay) lets its owner see and do once started: where it is in its life, what stopped it,
 * and how to stop it. One type to watch them all with, for a health check or a shutdown hook.
 */
public interface Component extends AutoCloseable {

  /** Where the component is in its life; every legal move is listed in {@link ComponentState}. */
  ComponentState state();

  /** What stopped the component when it is {@code FAILED} or {@code FENCED}; empty otherwise. */
  Optional<Throwable> failure();

  /**
   * Stops the component, waiting at most {@code timeout} for its work in flight. Idempotent.
   *
   * @return whether it stopped within {@code timeout}
   */
  boolean close(Duration timeout);

  /** {@link #close(Duration)} with 30 seconds. */
  @Override
  default void close() {
    close(Duration.ofSeconds(30));
  }

  /**
   * Waits until the component has stopped for good ({@code CLOSED}, {@code FAILED} or {@code
   * FENCED}) and released its clients.
   *
   * @return whether it had within {@code timeout}
   */
  boolean awaitTermination(Duration timeout) throws InterruptedException;
}
