package dev.exactly.examples.fraudcheck;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The fraud-check service: scores every payment from {@code payments} into {@code payment-scores}
 * exactly once, blocks the card of every high score once at the card-block API, and announces each
 * block on {@code notifications} through the outbox. Everything Exactly runs is declared in {@code
 * application.properties} and the beans of {@link FraudCheckConfiguration}.
 */
@SpringBootApplication
@EnableConfigurationProperties(FraudProperties.class)
public class FraudCheckApplication {
  public static void main(String[] args) {
    SpringApplication.run(FraudCheckApplication.class, args);
  }
}
