package dev.exactly.http;

import com.fasterxml.jackson.core.JsonPointer;
import dev.exactly.ConfigurationException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where accepted requests to one path go: the topic, and the JSON Pointer to the field of the body
 * that becomes the record key.
 *
 * @param path the exact request path, starting with {@code /}
 * @param topic the Kafka topic
 * @param keyPointer a JSON Pointer (RFC 6901) into the body, such as {@code /orderId}
 */
public record Route(String path, String topic, String keyPointer) {
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*");

  public Route {
    if (path == null || !PATH.matcher(path).matches()) {
      throw new ConfigurationException(
          "route.path", String.valueOf(path), "must start with / and hold no query or spaces");
    }
    if (topic == null
        || !TOPIC.matcher(topic).matches()
        || topic.equals(".")
        || topic.equals("..")) {
      throw new ConfigurationException(
          "route.topic", String.valueOf(topic), "is not a legal Kafka topic name ([a-zA-Z0-9._-])");
    }
    Objects.requireNonNull(keyPointer, "keyPointer");
    try {
      if (JsonPointer.compile(keyPointer).matches()) {
        throw new IllegalArgumentException("the empty pointer names the whole body");
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(
          "route.keyPointer",
          keyPointer,
          "is not a JSON Pointer to a field (" + e.getMessage() + "); write it like /orderId");
    }
  }

  /**
   * Parses {@code /api/orders=orders:/orderId} (path, topic, key pointer), the form the {@code
   * exactly ingest --route} option takes.
   *
   * @throws ConfigurationException naming the text and the expected form
   */
  public static Route parse(String text) {
    int eq = text == null ? -1 : text.indexOf('=');
    int colon = eq < 0 ? -1 : text.indexOf(':', eq);
    if (eq < 1 || colon < 0) {
      throw new ConfigurationException(
          "route",
          String.valueOf(text),
          "must read PATH=TOPIC:POINTER, e.g. /api/orders=orders:/orderId");
    }
    return new Route(
        text.substring(0, eq), text.substring(eq + 1, colon), text.substring(colon + 1));
  }
}
