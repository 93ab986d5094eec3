package dev.exactly.internal;

import dev.exactly.ComponentState;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A component's state and failure: every state write goes through here, and only along the moves
 * {@link ComponentState} lists. Thread-safe: the engine thread moves the state, any thread reads
 * it.
 *
 * <p>{@link #terminated()} counts down once the engine has stopped for good and released its
 * clients, so {@code close(timeout)} and {@code awaitTermination} wait on one thing.
 */
public final class Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);

  private final String component;
  private final AtomicReference<ComponentState> state =
      new AtomicReference<>(ComponentState.CREATED);
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile Throwable failure;

  /**
   * @param component what to call it in messages, for example {@code processor orders/node-1}
   */
  public Lifecycle(String component) {
    this.component = component;
  }

  /**
   * Registers {@link Metric#COMPONENT_STATE}: one gauge per state, tagged {@code state}, reading 1
   * for the current state, so an alert can say {@code state="FENCED"} without knowing the order of
   * the states.
   */
  public void registerStateGauges(Meters meters, String... extraTags) {
    for (ComponentState s : ComponentState.values()) {
      String[] tags = java.util.Arrays.copyOf(extraTags, extraTags.length + 2);
      tags[extraTags.length] = "state";
      tags[extraTags.length + 1] = s.name();
      meters.gauge(Metric.COMPONENT_STATE, this, l -> l.state() == s ? 1 : 0, tags);
    }
  }

  public ComponentState state() {
    return state.get();
  }

  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  public boolean is(ComponentState s) {
    return state.get() == s;
  }

  /**
   * Moves to {@code next}.
   *
   * @throws IllegalStateException naming the component, the state it is in and {@code next}, if the
   *     move is not legal
   */
  public void moveTo(ComponentState next) {
    if (!tryMoveTo(next)) {
      throw new IllegalStateException(
          component + " cannot move from " + state.get() + " to " + next);
    }
  }

  /**
   * Moves from exactly {@code from} to {@code next}, for a caller that must act only in one state
   * (start() from CREATED).
   *
   * @throws IllegalStateException if the component is in another state, naming it
   */
  public void moveFrom(ComponentState from, ComponentState next) {
    if (!from.canMoveTo(next)) {
      throw new IllegalStateException(component + " cannot move from " + from + " to " + next);
    }
    if (!state.compareAndSet(from, next)) {
      throw new IllegalStateException(
          component + " can move to " + next + " only from " + from + "; it is " + state.get());
    }
    log.info("{}: {} -> {}", component, from, next);
  }

  /**
   * Moves to {@code next} if that is legal from the current state (or already there).
   *
   * @return whether the component is now in {@code next}
   */
  public boolean tryMoveTo(ComponentState next) {
    while (true) {
      ComponentState current = state.get();
      if (current == next) {
        return true;
      }
      if (!current.canMoveTo(next)) {
        return false;
      }
      if (state.compareAndSet(current, next)) {
        log.info("{}: {} -> {}", component, current, next);
        return true;
      }
    }
  }

  /** Records {@code cause} as the failure and moves to FAILED, if that is legal. */
  public boolean fail(Throwable cause) {
    failure = cause;
    return tryMoveTo(ComponentState.FAILED);
  }

  /** Records {@code cause} as the failure and moves to FENCED, if that is legal. */
  public boolean fence(Throwable cause) {
    failure = cause;
    return tryMoveTo(ComponentState.FENCED);
  }

  /** Says the engine has stopped and released its clients. Called once, by the engine. */
  public void terminated() {
    terminated.countDown();
  }

  /** Whether the engine has stopped and released its clients. */
  public boolean isTerminated() {
    return terminated.getCount() == 0;
  }

  /** Waits up to {@code timeout} for {@link #terminated()}; returns whether it came. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** The name given at construction. */
  public String component() {
    return component;
  }
}
