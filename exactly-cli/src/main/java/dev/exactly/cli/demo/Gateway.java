package dev.exactly.cli.demo;

import dev.exactly.dedup.IdempotencyKey;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The charge stage's client of the loopback payment gateway: one POST per charge. */
final class Gateway {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI uri;

  Gateway(URI uri) {
    this.uri = uri;
  }

  /**
   * Charges an order; {@code idempotencyKey} null sends none, as a client that ignores keys does.
   *
   * @throws IOException on a failed call or an answer other than 2xx, so the caller retries
   */
  void charge(String orderId, String idempotencyKey) throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(orderId));
    if (idempotencyKey != null) {
      IdempotencyKey.relay(request, idempotencyKey);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      throw new IOException("gateway answered " + response.statusCode() + " for " + orderId);
    }
  }
}
