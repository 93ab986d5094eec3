package dev.exactly.examples.fraudcheck;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.springframework.stereotype.Component;

/**
 * The card-block API: {@code POST <fraud.card-block-url>} with the payment id as the body and the
 * idempotency key in {@code Idempotency-Key}, so a repeated call after a crash blocks nothing
 * twice. Thread-safe.
 */
@Component
public class CardBlockClient {
  private final HttpClient http = HttpClient.newHttpClient();
  private final FraudProperties fraud;

  public CardBlockClient(FraudProperties fraud) {
    this.fraud = fraud;
  }

  /**
   * @throws IOException when the API cannot be reached or answers other than 2xx; the consumer
   *     retries the record, then dead-letters it
   */
  public void block(Score score, String idempotencyKey) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(fraud.cardBlockUrl())
            .timeout(fraud.cardBlockTimeout())
            .header(FraudCheckConfiguration.IDEMPOTENCY_KEY, idempotencyKey)
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(score.paymentId()))
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      throw new IOException(
          "card-block API answered "
              + response.statusCode()
              + " for payment "
              + score.paymentId()
              + ": "
              + response.body());
    }
  }
}
