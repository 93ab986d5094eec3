package dev.exactly.examples;

import dev.exactly.testkit.EmbeddedKafkaExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

// The snippet of README.md, as it runs.
class PaymentsTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void everyPaymentOnce() {
    KAFKA.broker().createTopic("payments", 6);
    // point your producer and consumer at KAFKA.broker().bootstrapServers()
  }
}
