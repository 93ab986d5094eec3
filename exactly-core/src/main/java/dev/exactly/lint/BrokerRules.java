package dev.exactly.lint;

import static dev.exactly.lint.DeliveryGuarantee.EXACTLY_ONCE;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The broker's and the cluster's rules: transaction limits, replication, features. */
final class BrokerRules {
  static final String BROKER_DOCS =
      "Kafka broker configs (kafka.apache.org/documentation/#brokerconfigs)";

  private BrokerRules() {}

  /**
   * @param producer the producer's configuration, or null
   * @param transactionsInUse a transactional producer is given, or no producer at all
   */
  static void check(
      Props b, Props producer, boolean transactionsInUse, Duration idleGap, List<Finding> out) {
    if (producer != null && transactionsInUse) {
      long max = b.number("transaction.max.timeout.ms", 900_000);
      long txn = producer.number("transaction.timeout.ms", 60_000);
      if (txn > max) {
        out.add(
            new Finding(
                Severity.ERROR,
                producer.source,
                "transaction.timeout.ms",
                producer.shown("transaction.timeout.ms", 60_000),
                "exceeds the broker's transaction.max.timeout.ms ("
                    + max
                    + " ms): initTransactions fails with InvalidTxnTimeoutException",
                "lower transaction.timeout.ms to " + max + " or less, or raise the broker limit",
                "KIP-98; " + BROKER_DOCS + ": transaction.max.timeout.ms",
                EXACTLY_ONCE));
      }
    }
    if (transactionsInUse) {
      long expiration = b.number("transactional.id.expiration.ms", 604_800_000L);
      if (expiration < idleGap.toMillis()) {
        out.add(
            new Finding(
                Severity.WARN,
                b.source,
                "transactional.id.expiration.ms",
                b.shown("transactional.id.expiration.ms", 604_800_000L),
                "is shorter than the producer's longest idle gap ("
                    + idleGap.toMillis()
                    + " ms): the broker forgets an idle transactional.id with its epoch, so a"
                    + " zombie of that id is no longer fenced when it comes back",
                "raise transactional.id.expiration.ms above the longest gap between transactions",
                "KIP-98; " + BROKER_DOCS + ": transactional.id.expiration.ms",
                EXACTLY_ONCE));
      }
    }
    replication(b, "transaction.state.log.replication.factor", 3, 3, out);
    replication(b, "transaction.state.log.min.isr", 2, 2, out);
    replication(b, "min.insync.replicas", 1, 2, out);
    if ("true".equals(b.lower("auto.create.topics.enable", "true"))) {
      out.add(
          new Finding(
              Severity.WARN,
              b.source,
              "auto.create.topics.enable",
              b.shown("auto.create.topics.enable", "true"),
              "a mistyped topic name is created with the broker's default partitions and"
                  + " replication instead of failing; a dead-letter topic created this way inside"
                  + " a transaction may have one replica",
              "set auto.create.topics.enable=false and create topics on purpose",
              BROKER_DOCS + ": auto.create.topics.enable",
              EXACTLY_ONCE));
    }
  }

  private static void replication(
      Props b, String key, long byDefault, long wanted, List<Finding> out) {
    long v = b.number(key, byDefault);
    if (v < wanted) {
      out.add(
          new Finding(
              Severity.WARN,
              b.source,
              key,
              b.shown(key, byDefault),
              "is below "
                  + wanted
                  + ": losing one broker "
                  + (key.startsWith("transaction")
                      ? "stops every transaction (or loses the transaction state)"
                      : "can lose records acknowledged with acks=all"),
              "set " + key + " to at least " + wanted + " (with at least 3 brokers)",
              "KIP-98; " + BROKER_DOCS + ": " + key,
              EXACTLY_ONCE));
    }
  }

  static void features(Map<String, Short> features, List<Finding> out) {
    short tv = features.getOrDefault("transaction.version", (short) 0);
    out.add(
        new Finding(
            tv < 2 ? Severity.WARN : Severity.INFO,
            "cluster",
            "transaction.version",
            Short.toString(tv),
            tv < 2
                ? "without level 2 the producer's epoch is not bumped at each transaction's end,"
                    + " so a late write of a finished transaction can join the next one, and a"
                    + " hanging transaction is possible"
                : "the epoch is bumped at every transaction end: late writes of a finished"
                    + " transaction are refused",
            tv < 2
                ? "upgrade the cluster's feature: kafka-features.sh upgrade --feature"
                    + " transaction.version=2 (Kafka 4.0+)"
                : "nothing to do",
            "KIP-890",
            EXACTLY_ONCE));
    short gv = features.getOrDefault("group.version", (short) 0);
    out.add(
        new Finding(
            Severity.INFO,
            "cluster",
            "group.version",
            Short.toString(gv),
            gv >= 1
                ? "the cluster runs the consumer group protocol (group.protocol=consumer)"
                : "only the classic group protocol is available",
            gv >= 1 ? "nothing to do" : "enable group.version=1 to allow group.protocol=consumer",
            "KIP-848",
            EXACTLY_ONCE));
  }
}
