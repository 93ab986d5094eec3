package dev.exactly.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exactly.NonRetriableException;
import dev.exactly.testkit.check.Input;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The demo's orders as JSON, {@code {"orderId":"o-17","customer":"c-3","seq":4,"amount":1250}}, and
 * the fraud score the processor gives each. A malformed order has an amount that is not a number.
 */
final class Orders {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Orders() {}

  static String json(Input order, boolean malformed) {
    String amount = malformed ? "\"lots\"" : Long.toString(amountCents(order.id()));
    return "{\"orderId\":\""
        + order.id()
        + "\",\"customer\":\""
        + order.key()
        + "\",\"seq\":"
        + order.sequence()
        + ",\"amount\":"
        + amount
        + "}";
  }

  /** The order's id, customer and per-customer sequence; throws for JSON that is not an order. */
  static Input parse(String json) {
    JsonNode node = tree(json);
    return new Input(
        node.path("orderId").asText(), node.path("customer").asText(), node.path("seq").asLong());
  }

  /**
   * The fraud score 0..99 of an order: deterministic in its id and amount, so every attempt at an
   * order scores it the same.
   *
   * @throws NonRetriableException when the amount is not a number: no retry can fix the order
   */
  static int fraudScore(String json) {
    JsonNode node = tree(json);
    JsonNode amount = node.path("amount");
    if (!amount.isIntegralNumber()) {
      throw new NonRetriableException("order amount is not a number: " + amount);
    }
    long h = node.path("orderId").asText().hashCode() * 31L + amount.asLong();
    return (int) Math.floorMod(h, 100L);
  }

  private static long amountCents(String orderId) {
    return 100 + Math.floorMod(orderId.hashCode(), 99_900);
  }

  private static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + json, e);
    }
  }
}
