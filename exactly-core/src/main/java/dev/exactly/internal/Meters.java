package dev.exactly.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * Registers one component's meters from the {@link Metric} catalogue with the common tags, and
 * refuses a meter the catalogue does not list for that component, so the catalogue cannot drift
 * from the code.
 */
public final class Meters {
  private final MeterRegistry registry;
  private final String component;
  private final Tags tags;

  /**
   * @param registry the user's registry, or null for a private {@link SimpleMeterRegistry}: no
   *     component reports to Micrometer's global registry unless given it
   * @param component one of {@link Metric.C}'s names
   */
  public Meters(MeterRegistry registry, String component, String group, String instance) {
    this.registry = registry != null ? registry : new SimpleMeterRegistry();
    this.component = component;
    this.tags = Tags.of("component", component, "group", group, "instance", instance);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public Counter counter(Metric m, String... extraTags) {
    return Counter.builder(check(m, Metric.Type.COUNTER))
        .description(m.description())
        .tags(tags.and(extraTags))
        .register(registry);
  }

  public Timer timer(Metric m, String... extraTags) {
    return Timer.builder(check(m, Metric.Type.TIMER))
        .description(m.description())
        .tags(tags.and(extraTags))
        .register(registry);
  }

  public DistributionSummary summary(Metric m, String... extraTags) {
    return DistributionSummary.builder(check(m, Metric.Type.SUMMARY))
        .description(m.description())
        .tags(tags.and(extraTags))
        .register(registry);
  }

  /** A gauge reading {@code f} of {@code obj}; the registry holds {@code obj} weakly, keep it. */
  public <T> Gauge gauge(Metric m, T obj, ToDoubleFunction<T> f, String... extraTags) {
    return Gauge.builder(check(m, Metric.Type.GAUGE), obj, f)
        .description(m.description())
        .tags(tags.and(extraTags))
        .register(registry);
  }

  private String check(Metric m, Metric.Type type) {
    if (m.type() != type || !m.components().contains(component)) {
      throw new IllegalStateException(
          "the metric catalogue lists "
              + m.meterName()
              + " as a "
              + m.type()
              + " of "
              + m.components()
              + ", not a "
              + type
              + " of "
              + component
              + "; add it to Metric and docs/metrics.md first");
    }
    return m.meterName();
  }
}
