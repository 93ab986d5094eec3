package dev.exactly.cli.demo;

import java.util.List;

/** The topics and tables of the demo pipeline, in one place for the stages and the checker. */
final class DemoTopics {
  static final String ORDERS = "orders";
  static final String ORDERS_DLT = "orders.dlt";
  static final String PAYMENTS = "payments";
  static final String NOTIFICATIONS = "notifications";
  static final int PARTITIONS = 3;

  /** Created by the parent before any stage starts, so no stage waits for another's topics. */
  static final List<String> ALL = List.of(ORDERS, ORDERS_DLT, PAYMENTS, NOTIFICATIONS);

  static final String PROCESSED_ORDERS = "processed_orders";
  static final String CHARGES = "charges";
  static final String CHARGE_OUTBOX = "demo_charge_outbox";
  static final String ORDER_OUTBOX = "demo_order_outbox";
  static final String IDEMPOTENCY = "demo_idempotency";
  static final String DEDUP = "demo_dedup";
  static final String SINK_OFFSETS = "demo_sink_offsets";
  static final String CHARGE_MARKS = "demo_charge_marks";

  /**
   * Every table the demo and its components write, dropped before a run on a real database: the
   * broker is new each run, so offsets or keys left from an earlier run would not match it.
   */
  static final List<String> TABLES =
      List.of(
          PROCESSED_ORDERS,
          CHARGES,
          CHARGE_OUTBOX,
          ORDER_OUTBOX,
          IDEMPOTENCY,
          DEDUP,
          SINK_OFFSETS,
          CHARGE_MARKS);

  /** Payments carry the order id and score as headers: the dedup key and the DB sink read them. */
  static final String ORDER_ID_HEADER = "order-id";

  static final String SCORE_HEADER = "fraud-score";

  private DemoTopics() {}
}
