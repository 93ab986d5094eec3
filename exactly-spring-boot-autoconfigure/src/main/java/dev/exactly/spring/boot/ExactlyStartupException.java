package dev.exactly.spring.boot;

import dev.exactly.ConfigurationException;

/**
 * A component could not be built or started from its {@code exactly.*} properties. Carries the
 * Spring property at fault, the value given and the fix; Spring Boot's failure analysis prints them
 * instead of a stack trace.
 */
public final class ExactlyStartupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String property;
  private final String value;
  private final String fix;

  public ExactlyStartupException(String property, Object value, String fix, Throwable cause) {
    super(property + "=" + value + ": " + fix, cause);
    this.property = property;
    this.value = String.valueOf(value);
    this.fix = fix;
  }

  /**
   * Wraps the library's own {@link ConfigurationException}, whose key is a builder setting or a
   * Kafka client property and whose message is {@code key=value problem; fix}, under the
   * component's property prefix: {@code exactly.processors.scores[enable.auto.commit]}.
   */
  public static ExactlyStartupException of(String prefix, ConfigurationException e) {
    String message = e.getMessage();
    String head = e.key() + "=";
    String value = "";
    String fix = message;
    if (message.startsWith(head)) {
      int end = message.indexOf(' ', head.length());
      value = end < 0 ? message.substring(head.length()) : message.substring(head.length(), end);
      fix = end < 0 ? message : message.substring(end + 1);
    }
    return new ExactlyStartupException(prefix + "[" + e.key() + "]", value, fix, e);
  }

  /** The Spring property (or property prefix) at fault, e.g. {@code exactly.processors.scores}. */
  public String property() {
    return property;
  }

  /** The value given. */
  public String value() {
    return value;
  }

  /** What is wrong and what to do. */
  public String fix() {
    return fix;
  }
}
