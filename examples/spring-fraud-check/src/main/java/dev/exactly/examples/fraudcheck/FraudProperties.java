package dev.exactly.examples.fraudcheck;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The service's own settings, under {@code fraud.*}.
 *
 * @param blockThreshold the score from which a payment's card is blocked (0 to 99)
 * @param cardBlockUrl where the card-block API takes {@code POST}s
 * @param cardBlockTimeout how long one call to the card-block API may take
 */
@ConfigurationProperties("fraud")
public record FraudProperties(int blockThreshold, URI cardBlockUrl, Duration cardBlockTimeout) {
  public FraudProperties {
    if (blockThreshold < 0 || blockThreshold > 99) {
      throw new IllegalArgumentException(
          "fraud.block-threshold is " + blockThreshold + "; give a score from 0 to 99");
    }
    if (cardBlockUrl == null) {
      throw new IllegalArgumentException(
          "fraud.card-block-url is not set; give the card-block API's URL");
    }
    if (cardBlockTimeout == null) {
      cardBlockTimeout = Duration.ofSeconds(5);
    }
  }
}
