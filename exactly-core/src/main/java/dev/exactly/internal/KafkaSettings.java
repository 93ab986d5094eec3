package dev.exactly.internal;

import dev.exactly.ConfigurationException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The user's Kafka client properties, checked against the settings a guarantee depends on.
 *
 * <p>A setting the guarantee needs is added when absent and refused, naming the key, the value and
 * the fix, when the user set it otherwise: a guarantee is never quietly "corrected". Everything
 * else (SSL, SASL, timeouts) passes through untouched.
 */
public final class KafkaSettings {
  private static final Set<String> SECRET_HINTS = Set.of("password", "secret", "jaas", "token");
  // The same key for producers and consumers (ProducerConfig and ConsumerConfig both name it).
  private static final String INTERCEPTOR_CLASSES = "interceptor.classes";

  private final Map<String, Object> properties;
  private final String guarantee;

  /**
   * @param guarantee the name used in messages, for example "exactly-once"
   */
  public KafkaSettings(Map<String, ?> userProperties, String guarantee) {
    this.properties = new HashMap<>(Objects.requireNonNull(userProperties, "kafkaProperties"));
    this.guarantee = guarantee;
  }

  /**
   * Requires {@code key} to be {@code required}: sets it when absent; when the user gave another
   * value, throws a {@link ConfigurationException} that says why the guarantee needs it.
   */
  public KafkaSettings require(String key, Object required, String why) {
    Object given = properties.get(key);
    if (given == null) {
      properties.put(key, required);
    } else if (!String.valueOf(given).trim().equalsIgnoreCase(String.valueOf(required))) {
      throw new ConfigurationException(
          key,
          given,
          "contradicts " + guarantee + ": " + why + "; remove the setting or set " + required);
    }
    return this;
  }

  /** Refuses a key the engine owns, such as a serializer it chooses itself. */
  public KafkaSettings forbid(String key, String why) {
    if (properties.containsKey(key)) {
      throw new ConfigurationException(key, properties.get(key), why + "; remove the setting");
    }
    return this;
  }

  /** Sets a default the user may override. */
  public KafkaSettings withDefault(String key, Object value) {
    properties.putIfAbsent(key, value);
    return this;
  }

  /** Sets a value the engine owns outright (serializers, client ids). */
  public KafkaSettings set(String key, Object value) {
    properties.put(key, value);
    return this;
  }

  public Object get(String key) {
    return properties.get(key);
  }

  /** A copy for one client. */
  public Map<String, Object> toMap() {
    return new HashMap<>(properties);
  }

  /**
   * A copy of the user's properties for a client of another kind than the one they were given for
   * (a dead-letter producer beside the user's consumer, a position reader beside the user's
   * producer). It leaves out {@code interceptor.classes}: both kinds take the key, but the classes
   * fit only the user's kind, and a client of the other kind given them fails to start (at the
   * first dead letter, for a dead-letter producer: the worst moment).
   */
  public static Map<String, Object> forOtherClient(Map<String, ?> properties) {
    Map<String, Object> out = new HashMap<>(properties);
    out.remove(INTERCEPTOR_CLASSES);
    return out;
  }

  /** The properties with secrets masked, safe to log. */
  public static Map<String, Object> masked(Map<String, ?> properties) {
    Map<String, Object> out = new HashMap<>();
    properties.forEach(
        (k, v) -> {
          String lower = k.toLowerCase(java.util.Locale.ROOT);
          boolean secret = SECRET_HINTS.stream().anyMatch(lower::contains);
          out.put(k, secret ? "[hidden]" : v);
        });
    return out;
  }
}
