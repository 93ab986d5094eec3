package dev.exactly.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** A real HTTP client for tests: requests over loopback, answers as {@link HttpResponse}. */
final class Http {
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final String base;

  Http(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  HttpResponse post(String path, String key, String body, String... headers) throws IOException {
    return send("POST", path, key, body.getBytes(StandardCharsets.UTF_8), headers);
  }

  /**
   * @param key the Idempotency-Key value as sent (quote it yourself), or null for none
   * @param headers name, value, name, value...; a Content-Type here replaces application/json
   */
  HttpResponse send(String method, String path, String key, byte[] body, String... headers)
      throws IOException {
    java.net.http.HttpRequest.Builder b =
        java.net.http.HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .method(method, BodyPublishers.ofByteArray(body));
    boolean typed = false;
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
      typed |= headers[i].equalsIgnoreCase("Content-Type");
    }
    if (!typed) {
      b.header("Content-Type", "application/json");
    }
    if (key != null) {
      b.header(IdempotentIngest.KEY_HEADER, key);
    }
    try {
      java.net.http.HttpResponse<byte[]> r = client.send(b.build(), BodyHandlers.ofByteArray());
      Map<String, String> h = new LinkedHashMap<>();
      r.headers().map().forEach((k, v) -> h.put(k, v.get(0)));
      return new HttpResponse(r.statusCode(), h, r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  static String quoted(String key) {
    return "\"" + key + "\"";
  }
}
