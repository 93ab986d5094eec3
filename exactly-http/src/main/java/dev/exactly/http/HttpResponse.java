package dev.exactly.http;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to an {@link HttpRequest}: status, headers (one value each, in order) and body.
 * Immutable; the caller's framework writes it out as it is.
 */
public record HttpResponse(int status, Map<String, String> headers, byte[] body) {

  /** The header a replayed response carries, with the value {@code true}. */
  public static final String REPLAYED_HEADER = "Idempotent-Replayed";

  public HttpResponse {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status must be 100..599, got " + status);
    }
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(headers)));
    body = body == null ? new byte[0] : body.clone();
  }

  /** The body; a copy, so the response stays immutable. */
  @Override
  public byte[] body() {
    return body.clone();
  }

  /** The body as UTF-8 text. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** The value of the header {@code name}, matched without regard to case. */
  public Optional<String> header(String name) {
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (h.getKey().equalsIgnoreCase(name)) {
        return Optional.of(h.getValue());
      }
    }
    return Optional.empty();
  }

  /** Whether this is a stored response answered again to a retry. */
  public boolean replayed() {
    return header(REPLAYED_HEADER).map("true"::equals).orElse(false);
  }

  /** This response with one more header (replacing one of the same name). */
  public HttpResponse withHeader(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>();
    headers.forEach(
        (k, v) -> {
          if (!k.equalsIgnoreCase(name)) {
            h.put(k, v);
          }
        });
    h.put(name, value);
    return new HttpResponse(status, h, body);
  }
}
