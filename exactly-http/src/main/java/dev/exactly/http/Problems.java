package dev.exactly.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Error responses as {@code application/problem+json} (RFC 9457): type, title, status, detail. The
 * detail names what was wrong and how to fix it; it never carries a stack trace.
 */
final class Problems {
  static final String TYPE_BASE = "https://exactly.dev/problems/";
  static final String CONTENT_TYPE = "application/problem+json";

  private final ObjectMapper json;

  Problems(ObjectMapper json) {
    this.json = json;
  }

  HttpResponse problem(int status, String type, String title, String detail) {
    return problem(status, type, title, detail, Map.of());
  }

  HttpResponse problem(
      int status, String type, String title, String detail, Map<String, String> extraHeaders) {
    ObjectNode body = json.createObjectNode();
    body.put("type", TYPE_BASE + type);
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", CONTENT_TYPE);
    headers.putAll(extraHeaders);
    try {
      return new HttpResponse(status, headers, json.writeValueAsBytes(body));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("a problem body could not be written", e);
    }
  }

  /** The first line of a message, at most 200 characters: enough to name the problem. */
  static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    String line = nl < 0 ? message : message.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }
}
