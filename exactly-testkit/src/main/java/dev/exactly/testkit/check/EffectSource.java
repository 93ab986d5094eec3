package dev.exactly.testkit.check;

import java.util.List;

/**
 * Where the checker reads what a pipeline did: a Kafka topic, a database table, an HTTP server's
 * counters. One model, several readers.
 */
public interface EffectSource {

  /** A short name for reports, such as {@code topic payments (read_committed)}. */
  String name();

  /**
   * Every effect the sink holds. When {@link #keepsOrder()}, effects of one key must come in the
   * order the sink holds them (a partition's offset order, say); otherwise in any order.
   */
  List<Effect> read();

  /** Whether the sink keeps an order per key that the checker should verify. */
  boolean keepsOrder();
}
