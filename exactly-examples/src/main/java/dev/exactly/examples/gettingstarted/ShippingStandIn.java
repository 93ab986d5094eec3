package dev.exactly.examples.gettingstarted;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A stand-in for the shipping service, so {@link ShopApplication#main} runs without one. */
final class ShippingStandIn implements AutoCloseable {
  private final HttpServer server;
  private final CountDownLatch shipments;

  private ShippingStandIn(HttpServer server, CountDownLatch shipments) {
    this.server = server;
    this.shipments = shipments;
  }

  static ShippingStandIn start(int expectedShipments) throws IOException {
    CountDownLatch shipments = new CountDownLatch(expectedShipments);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext(
        "/shipments",
        exchange -> {
          try (exchange) {
            String order =
                new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            System.out.println(
                "shipping "
                    + order
                    + " (Idempotency-Key "
                    + exchange.getRequestHeaders().getFirst("Idempotency-Key")
                    + ")");
            exchange.sendResponseHeaders(204, -1);
            shipments.countDown();
          }
        });
    server.start();
    return new ShippingStandIn(server, shipments);
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/shipments");
  }

  boolean awaitShipments(Duration timeout) throws InterruptedException {
    return shipments.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
