package dev.exactly.jdbc.outbox;

import dev.exactly.ComponentState;
import dev.exactly.internal.Lifecycle;
import dev.exactly.internal.Meters;
import dev.exactly.internal.Metric;
import dev.exactly.internal.StartCheck;
import dev.exactly.internal.TransactionErrors.Reaction;
import dev.exactly.internal.Waits;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.internal.H2Durability;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's life: waits in STANDBY for its lock, publishes while it holds it ({@link
 * PublishingLoop}), falls back to STANDBY on a database or transient Kafka failure, and stops for
 * good when fenced or refused by Kafka. One thread; every state change goes through {@link
 * Lifecycle}.
 */
final class RelayEngine implements OutboxRelay {
  private static final Logger log = LoggerFactory.getLogger(RelayEngine.class);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final RelaySettings s;
  private final Lifecycle lifecycle;
  private final PublishingLoop loop;
  private volatile boolean closing;
  private volatile Thread thread;

  /** Whether the H2 durability check ran; the engine thread's, once per relay, not per standby. */
  private boolean durabilityChecked;

  RelayEngine(RelaySettings settings) {
    this.s = settings;
    this.lifecycle = new Lifecycle("outbox relay " + s.name() + "/" + s.instanceId());
    Meters meters = new Meters(s.meterRegistry(), Metric.C.RELAY, s.name(), s.instanceId());
    lifecycle.registerStateGauges(meters);
    this.loop = new PublishingLoop(settings, new OutboxMetrics(meters), () -> closing);
  }

  @Override
  public synchronized void start() {
    lifecycle.moveFrom(ComponentState.CREATED, ComponentState.STARTING);
    // Before the first batch: left to the broker's auto-creation, the first dead letter would wait
    // for its topic inside an open transaction, or forever on a broker that does not create topics.
    new StartCheck(lifecycle.component(), "relay", s.clientProperties(), s.start())
        .runOrFail(lifecycle, "relay.input", List.of(), Map.of(s.deadLetterTopic(), List.of()));
    Thread t = new Thread(this::run, "exactly-outbox-relay-" + s.name());
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  @Override
  public ComponentState state() {
    return lifecycle.state();
  }

  @Override
  public Optional<Throwable> failure() {
    return lifecycle.failure();
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return lifecycle.awaitTermination(timeout);
  }

  @Override
  public boolean close(Duration timeout) {
    Thread t;
    synchronized (this) {
      closing = true;
      if (lifecycle.tryMoveTo(ComponentState.CLOSED)) {
        // Never started: nothing to release.
        lifecycle.terminated();
        return true;
      }
      lifecycle.tryMoveTo(ComponentState.CLOSING);
      t = thread;
    }
    try {
      if (!lifecycle.awaitTermination(timeout)) {
        // A call stuck on the network: interrupt it; the open Kafka transaction aborts by timeout
        // or when the next instance starts.
        t.interrupt();
        if (!lifecycle.awaitTermination(Duration.ofSeconds(1))) {
          return false;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    // A relay that failed before close() was called is CLOSING now, its thread long gone.
    lifecycle.tryMoveTo(ComponentState.CLOSED);
    return true;
  }

  private void run() {
    try {
      lifecycle.tryMoveTo(ComponentState.STANDBY);
      while (!closing) {
        try {
          leadWhenLocked();
        } catch (ProducerStopped e) {
          return;
        } catch (Exception | LinkageError e) {
          if (!closing) {
            log.warn("relay {}: {}; retrying in {}", s.name(), e.toString(), RETRY, e);
            Waits.sleepWhileQuietly(s.ticker(), RETRY, () -> !closing);
          }
        }
      }
    } finally {
      if (lifecycle.is(ComponentState.CLOSING)) {
        lifecycle.tryMoveTo(ComponentState.CLOSED);
      }
      lifecycle.terminated();
    }
  }

  /** Stops for good: another instance owns the name now, or Kafka refuses this relay. */
  private void stop(ProducerStopped stopped) {
    Throwable cause = stopped.getCause();
    if (stopped.reaction() == Reaction.FENCED) {
      log.warn(
          "relay {}: fenced, another instance took transactional.id over; stopping: {}",
          s.name(),
          cause.toString());
      lifecycle.fence(cause);
    } else {
      log.error("relay {}: Kafka refuses it for good; stopping", s.name(), cause);
      lifecycle.fail(cause);
    }
  }

  private void leadWhenLocked() throws SQLException, InterruptedException, ProducerStopped {
    try (Connection lockConnection = s.dataSource().getConnection()) {
      lockConnection.setAutoCommit(true);
      Dialect dialect = Dialect.of(lockConnection);
      if (!durabilityChecked) {
        durabilityChecked = true;
        H2Durability.check(lockConnection, "outbox relay " + s.name());
      }
      if (s.createTable()) {
        dialect.createIfAbsent(lockConnection, dialect.createOutboxTableIfAbsent(s.table().name));
      }
      if (!dialect.tryLock(lockConnection, s.lockName())) {
        Waits.sleepWhile(s.ticker(), RETRY, () -> !closing);
        return;
      }
      try {
        if (lifecycle.tryMoveTo(ComponentState.RUNNING)) {
          loop.run(lockConnection, dialect);
        }
      } catch (ProducerStopped e) {
        // Before the finally: a fenced relay must not pass through STANDBY, which it cannot leave
        // for FENCED.
        stop(e);
        throw e;
      } finally {
        lifecycle.tryMoveTo(ComponentState.STANDBY);
        try {
          dialect.unlock(lockConnection, s.lockName());
        } catch (SQLException e) {
          log.debug("relay {}: unlock failed, the session end releases it", s.name(), e);
        }
      }
    }
  }
}
