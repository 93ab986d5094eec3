package dev.exactly.testkit;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;

/**
 * A resource opened before a test class's first test and closed after its last, by the class that
 * opened it: nested test classes share their outer class's resource rather than opening another.
 */
final class ClassScoped<T extends AutoCloseable> {
  private final Class<T> type;
  private final Supplier<T> opener;
  private T resource;
  private Class<?> owner;

  ClassScoped(Class<T> type, Supplier<T> opener) {
    this.type = type;
    this.opener = opener;
  }

  T get() {
    if (resource == null) {
      throw new IllegalStateException(
          "no "
              + type.getSimpleName()
              + " yet: register the extension as a static field so it runs before all tests");
    }
    return resource;
  }

  void open(ExtensionContext context) {
    if (resource == null) {
      resource = opener.get();
      owner = context.getRequiredTestClass();
    }
  }

  void close(ExtensionContext context) throws Exception {
    if (resource != null && owner == context.getRequiredTestClass()) {
      T closing = resource;
      resource = null;
      owner = null;
      closing.close();
    }
  }

  boolean supports(ParameterContext parameter) {
    return parameter.getParameter().getType() == type;
  }
}
