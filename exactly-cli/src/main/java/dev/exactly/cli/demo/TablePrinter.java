package dev.exactly.cli.demo;

import java.io.PrintWriter;
import java.util.Map;

/** The per-stage table and the summary lines printed at the end of a run. */
final class TablePrinter {
  static final String HEADER_FORMAT = "%-38s %7s %8s %6s %11s %10s %14s  %s%n";
  private static final String ROW_FORMAT = "%-38s %7d %8d %6d %11d %10d %14s  %s%n";

  private TablePrinter() {}

  static void print(DemoResult r, PrintWriter out) {
    DemoResult.LoadSummary load = r.load();
    out.println();
    out.printf(
        "orders: %d accepted (%d malformed on purpose) of %d; %d HTTP requests: %d retries,"
            + " %d sent twice on purpose, %d answered as replays; %d refused%n",
        load.accepted(),
        load.malformed(),
        load.orders(),
        load.requests(),
        load.retries(),
        load.repeats(),
        load.replayed(),
        load.refused());
    out.printf("kills: %d (%s)%n", r.kills().size(), killsByTarget(r));
    r.crashes().forEach(c -> out.println("note: " + c));
    out.println();
    out.printf(
        HEADER_FORMAT,
        "stage",
        "inputs",
        "effects",
        "lost",
        "duplicated",
        "reordered",
        "aborted reads",
        "result");
    for (StageResult s : r.stages()) {
      out.printf(
          ROW_FORMAT,
          s.stage(),
          s.inputs(),
          s.effects(),
          s.lost(),
          s.duplicated(),
          s.reordered(),
          s.abortedReads() < 0 ? "-" : Integer.toString(s.abortedReads()),
          s.exactlyOnce() ? "exactly-once" : "VIOLATED");
    }
    out.println();
    StringBuilder charges = new StringBuilder("charges per order at the gateway:");
    for (Map.Entry<Integer, Integer> e : r.chargesPerOrder().entrySet()) {
      charges
          .append("  ")
          .append(e.getKey())
          .append(" charge")
          .append(e.getKey() == 1 ? "" : "s")
          .append(": ")
          .append(e.getValue())
          .append(e.getValue() == 1 ? " order" : " orders");
    }
    out.println(charges);
    for (StageResult s : r.stages()) {
      if (!s.exactlyOnce()) {
        out.print(s.report().summary());
      }
    }
    out.printf(
        "%nresult: %s (%s, %d broker%s, %.1f s)%n",
        r.exactlyOnce() ? "EXACTLY-ONCE at every stage" : "VIOLATED",
        r.guarantee().label(),
        r.brokers(),
        r.brokers() == 1 ? "" : "s",
        r.elapsedMs() / 1000.0);
    out.flush();
  }

  private static String killsByTarget(DemoResult r) {
    Map<String, Long> byTarget = new java.util.TreeMap<>();
    r.kills().forEach(k -> byTarget.merge(k.target(), 1L, Long::sum));
    return byTarget.isEmpty() ? "none" : byTarget.toString().replaceAll("[{}]", "");
  }
}
