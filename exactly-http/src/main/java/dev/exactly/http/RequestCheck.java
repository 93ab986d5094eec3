package dev.exactly.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Everything a request is checked for before the database sees it: route, method, content type,
 * size, key, client, JSON and the key field. A request refused here leaves nothing stored.
 */
final class RequestCheck {
  private final Map<String, Route> routes;
  private final boolean requireKey;
  private final String clientHeader;
  private final int maxBodyBytes;
  private final ObjectMapper json;
  private final Problems problems;

  RequestCheck(
      Map<String, Route> routes,
      boolean requireKey,
      String clientHeader,
      int maxBodyBytes,
      ObjectMapper json,
      Problems problems) {
    this.routes = Map.copyOf(routes);
    this.requireKey = requireKey;
    this.clientHeader = clientHeader;
    this.maxBodyBytes = maxBodyBytes;
    this.json = json;
    this.problems = problems;
  }

  /** A request that passed, with what the transaction needs. */
  record Checked(
      Route route,
      Optional<String> key,
      String client,
      JsonNode body,
      String recordKey,
      String correlationId) {}

  /** Either {@code checked} or the {@code refusal} to answer (a 4xx problem), never both. */
  record Result(Checked checked, HttpResponse refusal) {}

  Result check(HttpRequest request) {
    Route route = routes.get(request.path());
    if (route == null) {
      return rejected(404, "no-route", "Not found", "no route for path " + request.path());
    }
    if (!"POST".equals(request.method())) {
      return new Result(
          null,
          problems.problem(
              405,
              "method-not-allowed",
              "Method not allowed",
              request.path() + " takes POST, not " + request.method(),
              Map.of("Allow", "POST")));
    }
    String type = request.header("Content-Type").orElse("");
    String media = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    if (!media.equals("application/json") && !media.endsWith("+json")) {
      return rejected(
          415,
          "unsupported-media-type",
          "Unsupported media type",
          "the body must be JSON with Content-Type: application/json, not '" + type + "'");
    }
    if (request.bodyLength() > maxBodyBytes) {
      return rejected(
          413,
          "body-too-large",
          "Content too large",
          "the body is larger than the limit of " + maxBodyBytes + " bytes");
    }
    List<String> keyValues = request.headerValues(IdempotentIngest.KEY_HEADER);
    Optional<String> key = Optional.empty();
    if (keyValues.isEmpty()) {
      if (requireKey) {
        return rejected(
            400,
            "idempotency-key-missing",
            "Idempotency-Key missing",
            request.path()
                + " requires an Idempotency-Key header, e.g. Idempotency-Key: \"<uuid>\"");
      }
    } else if (keyValues.size() > 1) {
      return rejected(
          400, "idempotency-key-invalid", "Invalid Idempotency-Key", "send the header once");
    } else {
      StringBuilder why = new StringBuilder();
      key = KeyHeader.parse(keyValues.get(0), why);
      if (key.isEmpty()) {
        return rejected(
            400, "idempotency-key-invalid", "Invalid Idempotency-Key", "Idempotency-Key " + why);
      }
    }
    String client = "";
    if (key.isPresent() && clientHeader != null) {
      client = request.header(clientHeader).map(String::strip).orElse("");
      if (client.isEmpty() || client.length() > 255) {
        return rejected(
            400,
            "client-missing",
            "Client not named",
            "a request with an Idempotency-Key must name its client in the header "
                + clientHeader
                + " (1 to 255 characters)");
      }
    }
    JsonNode body;
    try {
      body = json.readTree(request.bodyUnsafe());
    } catch (IOException e) {
      return rejected(
          400,
          "malformed-json",
          "Malformed JSON",
          "the body is not valid JSON: " + Problems.firstLine(e.getMessage()));
    }
    if (body == null || body.isMissingNode()) {
      return rejected(400, "malformed-json", "Malformed JSON", "the body is empty");
    }
    JsonNode keyNode = body.at(route.keyPointer());
    if (keyNode.isMissingNode() || keyNode.isNull() || !keyNode.isValueNode()) {
      return rejected(
          400,
          "key-field-missing",
          "Key field missing",
          "the body has no text or number at " + route.keyPointer() + ", the record key");
    }
    String recordKey = keyNode.asText();
    String correlationId =
        request
            .header(IdempotentIngest.CORRELATION_HEADER)
            .map(String::strip)
            .filter(
                c ->
                    !c.isEmpty()
                        && c.length() <= 200
                        && c.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f))
            .orElseGet(() -> UUID.randomUUID().toString());
    return new Result(new Checked(route, key, client, body, recordKey, correlationId), null);
  }

  private Result rejected(int status, String type, String title, String detail) {
    return new Result(null, problems.problem(status, type, title, detail));
  }
}
