package dev.exactly.cli.demo;

import dev.exactly.testkit.CountingHttpServer;
import java.sql.SQLException;

/** The once-a-second progress line: orders sent, what each stage committed, kills so far. */
final class Progress {
  private final CommittedTail tail;
  private final DemoDatabase db;
  private final CountingHttpServer gateway;
  private final LoadGenerator load;
  private final Killer killer;

  Progress(
      CommittedTail tail,
      DemoDatabase db,
      CountingHttpServer gateway,
      LoadGenerator load,
      Killer killer) {
    this.tail = tail;
    this.db = db;
    this.gateway = gateway;
    this.load = load;
    this.killer = killer;
  }

  /** Committed effects per sink now, in the table's order. */
  record Counts(
      long orders,
      long payments,
      long dlt,
      long processed,
      long charged,
      long charges,
      long notifications) {}

  Counts counts() throws SQLException {
    return new Counts(
        tail.count(DemoTopics.ORDERS),
        tail.count(DemoTopics.PAYMENTS),
        tail.count(DemoTopics.ORDERS_DLT),
        db.count(DemoTopics.PROCESSED_ORDERS),
        gateway.effects().size(),
        db.count(DemoTopics.CHARGES),
        tail.count(DemoTopics.NOTIFICATIONS));
  }

  /** Whether every sink holds at least one effect per order it must show. */
  boolean complete(Counts c) {
    int malformed = load.malformed().size();
    int good = load.acceptedOrders().size();
    return c.orders >= good + malformed
        && c.payments >= good
        && c.dlt >= malformed
        && c.processed >= good
        && c.charged >= good
        && c.charges >= good
        && c.notifications >= good;
  }

  String line(long elapsedMs, int ordersTotal, Counts c) {
    return String.format(
        "[%3ds] sent %d/%d (%d retries) | committed: orders %d, payments %d, dlt %d,"
            + " processed_orders %d, gateway %d, charges %d, notifications %d | kills %d",
        elapsedMs / 1000,
        load.accepted(),
        ordersTotal,
        load.retries(),
        c.orders,
        c.payments,
        c.dlt,
        c.processed,
        c.charged,
        c.charges,
        c.notifications,
        killer.kills().size());
  }
}
