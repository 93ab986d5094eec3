package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OwnersTest {
  private final Owners owners = Owners.of(List.of("orders", "orders-eu", "payments"));

  @Test
  void namesTheComponentFromHowItMakesItsTransactionalId() {
    assertThat(owners.of("exactly-outbox-notifications")).isEqualTo("outbox-relay notifications");
    assertThat(owners.of("orders-eu-node-1"))
        .isEqualTo("processor group orders-eu instance node-1");
    assertThat(owners.of("orders-node-1")).isEqualTo("processor group orders instance node-1");
    assertThat(owners.of("billing-1")).startsWith("not an Exactly component");
    assertThat(owners.of("orders-")).startsWith("not an Exactly component");
  }
}
