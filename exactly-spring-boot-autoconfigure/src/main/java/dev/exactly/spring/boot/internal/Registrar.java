package dev.exactly.spring.boot.internal;

import dev.exactly.spring.boot.ExactlyComponents;

/**
 * Builds some of the application's components and adds them to the registry; every registrar bean
 * runs once all singletons exist, in {@code @Order}.
 */
@FunctionalInterface
public interface Registrar {
  void registerAll(ExactlyComponents registry);
}
