package dev.exactly.spring.boot.internal;

import dev.exactly.spring.boot.ExactlyComponents;
import dev.exactly.spring.boot.ExactlyComponents.Entry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The {@code exactly} Actuator endpoint: every component with its kind, state, failure, and the
 * gauges that say how far behind it is, read from the meter registry by the component's tags:
 * {@code exactly.lag} for processors, idempotent consumers and DB sinks, {@code
 * exactly.outbox.backlog} and {@code exactly.outbox.backlog.oldest.age} for the relay. A value is
 * absent when the component does not publish that gauge or no meter registry is configured. Each
 * idempotent consumer also shows its dedup store, pinged on every read ({@link StoreHealth}).
 */
@Endpoint(id = "exactly")
public final class ExactlyEndpoint {
  private static final List<String> GAUGES =
      List.of("exactly.lag", "exactly.outbox.backlog", "exactly.outbox.backlog.oldest.age");

  private final ExactlyComponents components;
  private final MeterRegistry meters;

  public ExactlyEndpoint(ExactlyComponents components, MeterRegistry meters) {
    this.components = components;
    this.meters = meters;
  }

  @ReadOperation
  public Map<String, Object> components() {
    List<Map<String, Object>> list = new ArrayList<>();
    for (Entry e : components.entries()) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("name", e.name());
      c.put("kind", e.kind().tag());
      c.put("group", e.group());
      c.put("instance", e.instance());
      c.put("state", e.component().state().name());
      e.component().failure().ifPresent(f -> c.put("failure", String.valueOf(f)));
      StoreHealth.of(e.component()).ifPresent(store -> c.put("store", store.toMap()));
      if (meters != null) {
        for (String gauge : GAUGES) {
          Double value = sum(gauge, e);
          if (value != null) {
            c.put(gauge, value);
          }
        }
      }
      list.add(c);
    }
    return Map.of("components", list);
  }

  // Lag is per partition in some components: the component's figure is the sum over its gauges.
  private Double sum(String name, Entry e) {
    var found = meters.find(name).tag("component", e.kind().tag()).tag("group", e.group()).gauges();
    if (found.isEmpty()) {
      return null;
    }
    return found.stream().mapToDouble(Gauge::value).filter(v -> !Double.isNaN(v)).sum();
  }
}
