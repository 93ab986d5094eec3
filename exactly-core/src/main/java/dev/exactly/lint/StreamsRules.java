package dev.exactly.lint;

import java.util.List;

/** Kafka Streams' processing.guarantee. */
final class StreamsRules {
  private StreamsRules() {}

  /** Returns whether the application runs exactly_once_v2. */
  static boolean check(Props s, List<Finding> out) {
    String g = s.lower("processing.guarantee", "at_least_once");
    switch (g) {
      case "exactly_once_v2":
        return true;
      case "exactly_once", "exactly_once_beta":
        out.add(
            new Finding(
                Severity.ERROR,
                s.source,
                "processing.guarantee",
                s.get("processing.guarantee"),
                "was removed in Kafka 4.0; the application does not start",
                "set processing.guarantee=exactly_once_v2",
                "KIP-447; KIP-732",
                DeliveryGuarantee.AT_LEAST_ONCE));
        return false;
      default:
        out.add(
            new Finding(
                Severity.INFO,
                s.source,
                "processing.guarantee",
                s.shown("processing.guarantee", "at_least_once"),
                "records are processed again after a crash or rebalance",
                "set processing.guarantee=exactly_once_v2 for exactly-once",
                "KIP-129; KIP-447",
                DeliveryGuarantee.AT_LEAST_ONCE));
        return false;
    }
  }
}
