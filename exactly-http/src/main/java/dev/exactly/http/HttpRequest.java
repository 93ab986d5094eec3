package dev.exactly.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One HTTP request as any web framework hands it over: method, path (without the query), headers
 * and the body's bytes. Immutable; header names are matched without regard to case.
 *
 * @param method the method, such as {@code POST}
 * @param path the path, such as {@code /api/orders}
 * @param headers every header with all its values, in the order received
 * @param body the body, empty when there is none
 */
public record HttpRequest(
    String method, String path, Map<String, List<String>> headers, byte[] body) {

  public HttpRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    Objects.requireNonNull(headers, "headers")
        .forEach(
            (name, values) ->
                copy.computeIfAbsent(name, n -> new ArrayList<>())
                    .addAll(Objects.requireNonNull(values, "values of header " + name)));
    copy.replaceAll((name, values) -> List.copyOf(values));
    headers = Collections.unmodifiableMap(copy);
    body = body == null ? new byte[0] : body.clone();
  }

  /** A request with one value per header. */
  public static HttpRequest of(
      String method, String path, Map<String, String> headers, byte[] body) {
    Map<String, List<String>> multi = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    Objects.requireNonNull(headers, "headers").forEach((k, v) -> multi.put(k, List.of(v)));
    return new HttpRequest(method, path, multi, body);
  }

  /** The body; a copy, so the request stays immutable. */
  @Override
  public byte[] body() {
    return body.clone();
  }

  /** Every value of the header {@code name}, empty when absent. */
  public List<String> headerValues(String name) {
    return headers.getOrDefault(name, List.of());
  }

  /** The first value of the header {@code name}. */
  public Optional<String> header(String name) {
    List<String> values = headerValues(name);
    return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** The body's length without copying it. */
  public int bodyLength() {
    return body.length;
  }

  byte[] bodyUnsafe() {
    return body;
  }
}
