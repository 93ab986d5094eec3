package dev.exactly.examples.gettingstarted;

import dev.exactly.Component;
import dev.exactly.ComponentState;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;

/**
 * The whole shop: checkout writes orders through the outbox, the relay publishes them to {@code
 * orders}, the processor accepts them into {@code orders-accepted}, and the idempotent consumer
 * ships each one with an HTTP call.
 */
public final class ShopApplication implements AutoCloseable {
  private final Checkout checkout;
  private final List<Component> components; // in start order; closed in reverse

  private ShopApplication(Checkout checkout, List<Component> components) {
    this.checkout = checkout;
    this.components = components;
  }

  public static ShopApplication start(
      String bootstrapServers, DataSource database, URI shippingService, String instanceId)
      throws Exception {
    ShopTopics.createAll(bootstrapServers); // every topic before any component starts
    Checkout checkout = new Checkout(database);
    List<Component> started = new ArrayList<>();
    try {
      started.add(ShipOrders.start(bootstrapServers, database, shippingService, instanceId));
      started.add(AcceptOrders.start(bootstrapServers, instanceId));
      started.add(Checkout.startRelay(database, bootstrapServers));
    } catch (RuntimeException e) {
      started.forEach(Component::close);
      throw e;
    }
    return new ShopApplication(checkout, started);
  }

  public Checkout checkout() {
    return checkout;
  }

  /** The components that stopped on their own (FAILED or FENCED); their failure() says why. */
  public List<Component> stopped() {
    return components.stream()
        .filter(c -> c.state() == ComponentState.FAILED || c.state() == ComponentState.FENCED)
        .toList();
  }

  @Override
  public void close() {
    for (int i = components.size() - 1; i >= 0; i--) {
      components.get(i).close(Duration.ofSeconds(30));
    }
  }

  /**
   * Places ten orders and waits until each is shipped. Arguments: the bootstrap servers (default
   * {@code 127.0.0.1:9092}, where {@code ./exactly broker} listens) and a JDBC URL (default an H2
   * file under {@code target/}).
   */
  public static void main(String[] args) throws Exception {
    String bootstrapServers = args.length > 0 ? args[0] : "127.0.0.1:9092";
    JdbcDataSource database = new JdbcDataSource();
    database.setURL(args.length > 1 ? args[1] : "jdbc:h2:./target/shop;AUTO_SERVER=TRUE");
    int orders = 10;
    try (ShippingStandIn shipping = ShippingStandIn.start(orders);
        ShopApplication shop = start(bootstrapServers, database, shipping.uri(), "shop-1")) {
      for (int i = 0; i < orders; i++) {
        String id = "order-" + UUID.randomUUID();
        shop.checkout().placeOrder(id, "{\"orderId\":\"" + id + "\",\"sku\":\"book\"}");
      }
      if (!shipping.awaitShipments(Duration.ofSeconds(60))) {
        throw new IllegalStateException(
            "not every order was shipped within 60 s; stopped components: " + shop.stopped());
      }
      System.out.println("all " + orders + " orders shipped");
    }
  }
}
