package dev.exactly.lint;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** One configuration as lint reads it: string values, Kafka's defaults where a key is absent. */
final class Props {
  static final String DEFAULT = "(default)";

  final String source;
  private final Map<String, String> values;

  Props(String source, Map<String, ?> raw) {
    this.source = source;
    Map<String, String> v = new HashMap<>();
    raw.forEach((k, val) -> v.put(k, val == null ? null : String.valueOf(val).trim()));
    this.values = v;
  }

  boolean isSet(String key) {
    return values.get(key) != null;
  }

  String get(String key) {
    return values.get(key);
  }

  /** The value, or {@code fallback} when absent; lower case for comparing. */
  String lower(String key, String fallback) {
    String v = values.get(key);
    return (v == null ? fallback : v).toLowerCase(Locale.ROOT);
  }

  /** The value as given, or {@code "(default) " + fallback} to say the user did not set it. */
  String shown(String key, Object fallback) {
    String v = values.get(key);
    return v != null ? v : DEFAULT + " " + fallback;
  }

  /** A number, or {@code fallback} when absent or not a number (the client reports that itself). */
  long number(String key, long fallback) {
    String v = values.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /**
   * Keys with {@code prefix} stripped, for Kafka Streams' {@code producer.} and {@code consumer.}.
   */
  Map<String, String> withPrefixStripped(String prefix) {
    Map<String, String> out = new HashMap<>();
    values.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            out.put(k.substring(prefix.length()), v);
          } else if (!out.containsKey(k)) {
            out.put(k, v);
          }
        });
    return out;
  }
}
