package dev.exactly.lint;

import static dev.exactly.lint.DeliveryGuarantee.AT_LEAST_ONCE;
import static dev.exactly.lint.DeliveryGuarantee.AT_MOST_ONCE;
import static dev.exactly.lint.DeliveryGuarantee.EXACTLY_ONCE;

import java.util.List;
import java.util.Map;

/** The consumer's rules: offsets, isolation, the group protocol, the poll interval. */
final class ConsumerRules {
  static final String CONSUMER_DOCS =
      "Kafka consumer configs (kafka.apache.org/documentation/#consumerconfigs)";

  private ConsumerRules() {}

  static void check(
      Props c, boolean transactional, Map<String, Short> features, List<Finding> out) {
    // Kafka turns auto-commit on by default, but only for a consumer in a group.
    boolean inGroup = c.isSet("group.id");
    boolean autoCommit = "true".equals(c.lower("enable.auto.commit", inGroup ? "true" : "false"));
    if (autoCommit) {
      out.add(
          new Finding(
              transactional ? Severity.ERROR : Severity.WARN,
              c.source,
              "enable.auto.commit",
              c.shown("enable.auto.commit", "true"),
              transactional
                  ? "offsets must commit inside the transaction (sendOffsetsToTransaction); the"
                      + " consumer commits them on its own as well, before the outputs commit"
                  : "the consumer commits what poll() returned at the next poll, whether or not the"
                      + " processing finished: work handed to another thread or batched is lost"
                      + " in a crash",
              "set enable.auto.commit=false and commit after processing (or in the transaction)",
              "KIP-98; " + CONSUMER_DOCS + ": enable.auto.commit",
              AT_MOST_ONCE));
    }
    String isolation = c.lower("isolation.level", "read_uncommitted");
    if (isolation.equals("read_uncommitted")) {
      out.add(
          new Finding(
              transactional ? Severity.ERROR : Severity.WARN,
              c.source,
              "isolation.level",
              c.shown("isolation.level", "read_uncommitted"),
              transactional
                  ? "reads records of aborted transactions: a batch that was redone is processed"
                      + " once per attempt"
                  : "when the topics are written in transactions, records of aborted transactions"
                      + " are read as if committed",
              "set isolation.level=read_committed",
              "KIP-98; " + CONSUMER_DOCS + ": isolation.level",
              AT_LEAST_ONCE));
    }
    String protocol = c.lower("group.protocol", "classic");
    if (features != null && inGroup) {
      short groupVersion = features.getOrDefault("group.version", (short) 0);
      if (protocol.equals("consumer") && groupVersion < 1) {
        out.add(
            new Finding(
                Severity.ERROR,
                c.source,
                "group.protocol",
                c.get("group.protocol"),
                "the cluster's group.version feature is "
                    + groupVersion
                    + ": it does not run the"
                    + " consumer group protocol, the consumer cannot join",
                "set group.protocol=classic, or enable group.version=1 on the cluster"
                    + " (kafka-features.sh upgrade --feature group.version=1)",
                "KIP-848",
                EXACTLY_ONCE));
      } else {
        out.add(
            new Finding(
                Severity.INFO,
                c.source,
                "group.protocol",
                c.shown("group.protocol", "classic"),
                "the cluster's group.version feature is "
                    + groupVersion
                    + (protocol.equals("consumer")
                        ? ": rebalances are incremental and run by the broker"
                        : ": the classic protocol stops the group for each rebalance"),
                protocol.equals("consumer") || groupVersion < 1
                    ? "nothing to do"
                    : "group.protocol=consumer shortens rebalances on this cluster",
                "KIP-848",
                EXACTLY_ONCE));
      }
    }
  }

  /** A batch open longer than the group's poll interval is fenced at its commit and redone. */
  static void pollIntervalAgainstTransaction(Props c, Props p, List<Finding> out) {
    long poll = c.number("max.poll.interval.ms", 300_000);
    long txn = p.number("transaction.timeout.ms", 60_000);
    if (poll < txn) {
      out.add(
          new Finding(
              Severity.WARN,
              c.source,
              "max.poll.interval.ms",
              c.shown("max.poll.interval.ms", 300_000),
              "is shorter than transaction.timeout.ms ("
                  + txn
                  + " ms): a transaction allowed to stay open that long outlives the member's"
                  + " place in the group; its offsets are refused at the commit and the batch is"
                  + " redone after a rebalance",
              "set max.poll.interval.ms above transaction.timeout.ms, or lower the transaction"
                  + " timeout to what one batch needs",
              "KIP-62; KIP-447; " + CONSUMER_DOCS + ": max.poll.interval.ms",
              EXACTLY_ONCE));
    }
  }
}
