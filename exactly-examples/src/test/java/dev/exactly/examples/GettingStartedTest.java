package dev.exactly.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.examples.gettingstarted.ShopApplication;
import dev.exactly.examples.gettingstarted.ShopTopics;
import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.testkit.CountingHttpServer;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs the getting-started shop (docs/getting-started.md) on a real broker: every order written
 * through the outbox is published once, accepted once and shipped once.
 */
class GettingStartedTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final int ORDERS = 20;

  @Test
  void everyOrderIsPublishedAcceptedAndShippedExactlyOnce() throws Exception {
    String bootstrap = KAFKA.broker().bootstrapServers();
    JdbcDataSource database = new JdbcDataSource();
    database.setURL("jdbc:h2:mem:shop-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    List<String> ids = IntStream.rangeClosed(1, ORDERS).mapToObj(i -> "order-" + i).toList();

    // IGNORE_KEY: every request counts as an effect, so a repeat by the consumer would show.
    try (CountingHttpServer shipping =
        CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY)) {
      try (ShopApplication shop =
          ShopApplication.start(bootstrap, database, shipping.effectsUri(), "shop-test")) {
        for (String id : ids) {
          shop.checkout().placeOrder(id, "{\"orderId\":\"" + id + "\",\"sku\":\"book\"}");
        }
        await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () -> {
                  assertThat(shop.stopped()).as("components that stopped on their own").isEmpty();
                  return shipping.effects().size() >= ORDERS;
                });
      }
      // After close: nothing more arrived late.
      assertThat(shipping.effectCounts())
          .isEqualTo(ids.stream().collect(Collectors.toMap(Function.identity(), id -> 1)));
      assertThat(shipping.requests()).isEqualTo(ORDERS);
      assertThat(shipping.requestsByKey())
          .as("the order id relayed as Idempotency-Key, without the group's namespace")
          .containsOnlyKeys(ids);
    }

    List<ConsumerRecord<byte[], byte[]>> published =
        TopicReader.readCommitted(bootstrap, ShopTopics.ORDERS);
    assertThat(keys(published)).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(published)
        .allSatisfy(r -> assertThat(r.headers().lastHeader(Outbox.ID_HEADER)).isNotNull());

    List<ConsumerRecord<byte[], byte[]>> accepted =
        TopicReader.readCommitted(bootstrap, ShopTopics.ACCEPTED);
    assertThat(keys(accepted)).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(accepted)
        .allSatisfy(r -> assertThat(text(r.value())).endsWith(",\"status\":\"accepted\"}"));

    for (String dlt : List.of(ShopTopics.ORDERS + ".dlt", ShopTopics.ACCEPTED + ".dlt")) {
      assertThat(TopicReader.readCommitted(bootstrap, dlt)).as(dlt).isEmpty();
    }
  }

  private static List<String> keys(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().map(r -> text(r.key())).toList();
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
