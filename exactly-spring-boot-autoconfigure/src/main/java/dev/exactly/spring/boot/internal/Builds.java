package dev.exactly.spring.boot.internal;

import dev.exactly.ConfigurationException;
import dev.exactly.spring.boot.ExactlyProperties;
import dev.exactly.spring.boot.ExactlyStartupException;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;

/** What building any component from properties needs: names, beans, serdes and error wrapping. */
public final class Builds {
  private Builds() {}

  /**
   * Runs a builder's {@code build()}, or anything that may throw the library's configuration
   * errors, and names the Spring property prefix in the error.
   */
  public static <T> T named(String prefix, Supplier<T> build) {
    try {
      return build.get();
    } catch (ConfigurationException e) {
      throw ExactlyStartupException.of(prefix, e);
    } catch (IllegalArgumentException | NullPointerException | IllegalStateException e) {
      throw new ExactlyStartupException(
          prefix, "(see the message)", String.valueOf(e.getMessage()), e);
    }
  }

  /** Fails unless a required property is set. */
  public static String required(String property, String value, String what) {
    if (value == null || value.isBlank()) {
      throw new ExactlyStartupException(property, value, "required: set " + what, null);
    }
    return value;
  }

  /**
   * The user's bean named after the component, of the type it must have: the name as given, or its
   * camel-case form ({@code card-blocks} finds a {@code cardBlocks()} bean method).
   */
  public static <T> T bean(BeanFactory beans, String prefix, String name, Class<T> type) {
    String camel = camelCase(name);
    for (String candidate : camel.equals(name) ? new String[] {name} : new String[] {name, camel}) {
      if (beans.containsBean(candidate)) {
        try {
          return beans.getBean(candidate, type);
        } catch (BeansException e) {
          throw new ExactlyStartupException(
              prefix,
              "(bean '" + candidate + "')",
              "the bean named '" + candidate + "' must be a " + type.getName(),
              e);
        }
      }
    }
    throw new ExactlyStartupException(
        prefix,
        "(no bean '" + name + "')",
        "declare a @Bean of type "
            + type.getName()
            + " named '"
            + camel
            + "', or remove the properties under "
            + prefix,
        null);
  }

  static String camelCase(String name) {
    StringBuilder b = new StringBuilder(name.length());
    boolean upper = false;
    for (char c : name.toCharArray()) {
      if (c == '-' || c == '_') {
        upper = b.length() > 0;
      } else {
        b.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return b.toString();
  }

  /** The consumer group: the property, else the component's name. */
  public static String group(ExactlyProperties.Common c, String name) {
    return c.getGroupId() != null ? c.getGroupId() : name;
  }

  /** This instance's stable name: exactly.instance-id, else the HOSTNAME environment variable. */
  public static String instanceId(ExactlyProperties props, Map<String, String> env) {
    if (props.getInstanceId() != null && !props.getInstanceId().isBlank()) {
      return props.getInstanceId();
    }
    String host = env.get("HOSTNAME");
    if (host != null && !host.isBlank()) {
      return host;
    }
    throw new ExactlyStartupException(
        "exactly.instance-id",
        null,
        "required: set a name stable across restarts of this instance (a pod name, a host name);"
            + " the transactional ids derive from it so a restarted instance fences its zombie",
        null);
  }

  @SuppressWarnings("unchecked")
  public static Deserializer<Object> deserializer(
      Class<? extends Deserializer<?>> type, Map<String, Object> kafka, boolean isKey) {
    Deserializer<Object> d = (Deserializer<Object>) BeanUtils.instantiateClass(type);
    d.configure(kafka, isKey);
    return d;
  }

  @SuppressWarnings("unchecked")
  public static Serializer<Object> serializer(
      Class<? extends Serializer<?>> type, Map<String, Object> kafka, boolean isKey) {
    Serializer<Object> s = (Serializer<Object>) BeanUtils.instantiateClass(type);
    s.configure(kafka, isKey);
    return s;
  }
}
