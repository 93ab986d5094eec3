package dev.exactly.examples;

import static org.assertj.core.api.Assertions.assertThatCode;

import dev.exactly.examples.gettingstarted.ShopApplication;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The guide's {@code main} runs to its end: it throws unless all its orders were shipped. A broker
 * of its own, since the relay's position in Kafka belongs with the database it read.
 */
class ShopApplicationMainTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void mainShipsEveryOrder() {
    String database = "jdbc:h2:mem:shop-main-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    assertThatCode(
            () -> ShopApplication.main(new String[] {KAFKA.broker().bootstrapServers(), database}))
        .doesNotThrowAnyException();
  }
}
