package dev.exactly.spring.boot.internal;

import dev.exactly.ComponentState;
import dev.exactly.spring.boot.ExactlyComponents;
import java.util.stream.Stream;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * One health indicator per Exactly component, under {@code exactly}: DOWN when the component is
 * FAILED or FENCED (with what stopped it), OUT_OF_SERVICE while it is closing or closed, UNKNOWN
 * while it starts or waits as a standby, UP when running. Read live from the registry, so
 * components registered after this bean (listener methods) are included.
 *
 * <p>An idempotent consumer that is not closing also pings its dedup store ({@link StoreHealth},
 * shown as the {@code store} detail) and is DOWN when the store does not answer: it then claims
 * nothing and processes nothing (every poll's claim fails and it backs off), so UP would hide an
 * outage. Spring Boot's liveness and readiness groups leave this contributor out unless the
 * application adds it, so a store outage does not restart the instance, which would not help. A
 * store that cannot be probed (UNKNOWN) leaves the status as the state says.
 */
public final class ComponentsHealth implements CompositeHealthContributor {
  private final ExactlyComponents components;

  public ComponentsHealth(ExactlyComponents components) {
    this.components = components;
  }

  @Override
  public HealthContributor getContributor(String name) {
    ExactlyComponents.Entry entry = components.get(name);
    return entry == null ? null : indicator(entry);
  }

  @Override
  public Stream<org.springframework.boot.health.contributor.HealthContributors.Entry> stream() {
    return components.entries().stream()
        .map(
            e ->
                new org.springframework.boot.health.contributor.HealthContributors.Entry(
                    e.name(), indicator(e)));
  }

  static HealthIndicator indicator(ExactlyComponents.Entry entry) {
    return () -> health(entry);
  }

  /** The health of one component. */
  public static Health health(ExactlyComponents.Entry entry) {
    ComponentState state = entry.component().state();
    Health.Builder b =
        switch (state) {
          case RUNNING -> Health.up();
          case FAILED, FENCED -> Health.down();
          case CLOSING, CLOSED -> Health.outOfService();
          case CREATED, STARTING, STANDBY -> Health.unknown();
        };
    b.withDetail("kind", entry.kind().tag()).withDetail("state", state.name());
    entry.component().failure().ifPresent(f -> b.withDetail("failure", String.valueOf(f)));
    if (state != ComponentState.CLOSING && state != ComponentState.CLOSED) {
      StoreHealth.of(entry.component())
          .ifPresent(
              store -> {
                b.withDetail("store", store.toMap());
                if (store.status() == StoreHealth.Status.DOWN) {
                  b.down();
                }
              });
    }
    return b.build();
  }
}
