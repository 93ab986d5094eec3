package dev.exactly.spring.boot;

import dev.exactly.Component;
import dev.exactly.ConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * Every Exactly component of the application, by name, started and stopped with the Spring context:
 * started once all singletons exist, in the last lifecycle phase, in registration order; closed on
 * shutdown in reverse order within {@code spring.lifecycle.timeout-per-shutdown-phase}, so an open
 * batch commits or aborts before the DataSource and the meter registry go away.
 *
 * <p>Thread-safe. Health indicators and the {@code exactly} endpoint read it.
 */
public final class ExactlyComponents implements SmartLifecycle, DisposableBean {
  private static final Logger log = LoggerFactory.getLogger(ExactlyComponents.class);

  /** What a component is, as the endpoint and the metrics' {@code component} tag name it. */
  public enum Kind {
    PROCESSOR("processor"),
    IDEMPOTENT_CONSUMER("idempotent-consumer"),
    DB_SINK("db-sink"),
    OUTBOX_RELAY("outbox-relay");

    private final String tag;

    Kind(String tag) {
      this.tag = tag;
    }

    /** The value of the meters' {@code component} tag. */
    public String tag() {
      return tag;
    }
  }

  /**
   * One registered component.
   *
   * @param name unique among the application's components
   * @param group the meters' {@code group} tag (consumer group or relay name)
   * @param instance the meters' {@code instance} tag
   */
  public record Entry(String name, Kind kind, String group, String instance, Component component) {}

  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private final Map<String, Runnable> starters = new LinkedHashMap<>();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final Duration shutdownTimeout;
  private final boolean autoStartup;
  private volatile boolean running;

  /**
   * @param shutdownTimeout how long {@link #stop()} waits for all components together
   * @param autoStartup whether the context starts the components
   */
  public ExactlyComponents(Duration shutdownTimeout, boolean autoStartup) {
    this.shutdownTimeout = Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    this.autoStartup = autoStartup;
  }

  /**
   * Adds a built, not yet started component; {@code start} starts it. Components added after the
   * context started are started at once.
   *
   * @throws IllegalStateException when the name is taken
   */
  public void register(Entry entry, Runnable start) {
    boolean startNow;
    synchronized (this) {
      if (entries.containsKey(entry.name())) {
        throw new IllegalStateException(
            "two Exactly components are named "
                + entry.name()
                + "; rename one (the names of exactly.processors, consumers, sinks and"
                + " @ExactlyOnceListener methods share one namespace)");
      }
      entries.put(entry.name(), entry);
      starters.put(entry.name(), start);
      startNow = running;
    }
    if (startNow) {
      start(entry, start);
    }
  }

  /**
   * A resource the components use (a dedup store the starter made), closed after every component.
   */
  public synchronized void closeAfterComponents(AutoCloseable resource) {
    resources.add(Objects.requireNonNull(resource, "resource"));
  }

  /** How long {@link #stop()} waits for all components together. */
  public Duration shutdownTimeout() {
    return shutdownTimeout;
  }

  /** The components in registration order. */
  public synchronized List<Entry> entries() {
    return List.copyOf(entries.values());
  }

  /** The component of that name, or null. */
  public synchronized Entry get(String name) {
    return entries.get(name);
  }

  @Override
  public void start() {
    List<Map.Entry<String, Runnable>> toStart;
    synchronized (this) {
      toStart = new ArrayList<>(starters.entrySet());
      running = true;
    }
    for (Map.Entry<String, Runnable> s : toStart) {
      start(get(s.getKey()), s.getValue());
    }
  }

  private void start(Entry entry, Runnable start) {
    log.info("Starting Exactly {} {}", entry.kind().tag(), entry.name());
    try {
      start.run();
    } catch (ConfigurationException e) {
      throw ExactlyStartupException.of(prefixOf(entry), e);
    }
  }

  private static String prefixOf(Entry entry) {
    return switch (entry.kind()) {
      case PROCESSOR -> "exactly.processors." + entry.name();
      case IDEMPOTENT_CONSUMER -> "exactly.consumers." + entry.name();
      case DB_SINK -> "exactly.sinks." + entry.name();
      case OUTBOX_RELAY -> "exactly.outbox.relay";
    };
  }

  /**
   * Closes every component, the last registered first, sharing one deadline of the shutdown
   * timeout. A component that does not stop in time is logged, not waited for: its work in flight
   * is rolled back by Kafka or the database and done again by the next owner.
   */
  @Override
  public void stop() {
    List<Entry> toClose;
    synchronized (this) {
      running = false;
      toClose = new ArrayList<>(entries.values());
    }
    Collections.reverse(toClose);
    long deadline = System.nanoTime() + shutdownTimeout.toNanos();
    for (Entry e : toClose) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      try {
        if (!e.component().close(left)) {
          log.warn(
              "Exactly {} {} did not stop within {}; its open work will be redone by the next owner",
              e.kind().tag(),
              e.name(),
              left);
        }
      } catch (RuntimeException ex) {
        log.warn("Closing Exactly {} {} failed", e.kind().tag(), e.name(), ex);
      }
    }
    List<AutoCloseable> toRelease;
    synchronized (this) {
      toRelease = new ArrayList<>(resources);
      resources.clear();
    }
    for (AutoCloseable r : toRelease) {
      try {
        r.close();
      } catch (Exception ex) {
        log.warn("Closing {} failed", r, ex);
      }
    }
  }

  /**
   * Closes whatever {@link #stop()} did not: a refresh that fails after some components started
   * (another one's start threw) destroys the beans without stopping the lifecycle, and their
   * threads and transactions must not outlive the context. Closing is idempotent.
   */
  @Override
  public void destroy() {
    stop();
  }

  @Override
  public boolean isAutoStartup() {
    return autoStartup;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** The last phase: started after everything else, stopped before anything else. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE;
  }
}
