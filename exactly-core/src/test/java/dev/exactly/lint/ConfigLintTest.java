package dev.exactly.lint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ConfigurationException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each rule: a configuration that triggers it and one that does not. */
class ConfigLintTest {
  private static final Map<String, Object> TX_PRODUCER =
      Map.of("transactional.id", "orders-node-1", "acks", "all");
  private static final Map<String, Object> GOOD_CONSUMER =
      Map.of(
          "group.id", "orders", "enable.auto.commit", "false", "isolation.level", "read_committed");

  private static LintReport producer(Map<String, ?> p) {
    return ConfigLint.builder().producer(p).build().run();
  }

  private static Map<String, Object> with(Map<String, Object> base, Object... kv) {
    Map<String, Object> m = new HashMap<>(base);
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void cleanTransactionalPipelineIsExactlyOnceWithoutFindings() {
    LintReport r = ConfigLint.builder().producer(TX_PRODUCER).consumer(GOOD_CONSUMER).build().run();
    assertThat(r.findings()).isEmpty();
    assertThat(r.guarantee()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
  }

  @Test
  void acksOtherThanAllWithTransactionsIsAnError() {
    LintReport r = producer(with(TX_PRODUCER, "acks", "1"));
    assertThat(r.has(Severity.ERROR, "acks")).isTrue();
    assertThat(r.guarantee()).isEqualTo(DeliveryGuarantee.AT_MOST_ONCE);
    assertThat(producer(with(TX_PRODUCER, "acks", "-1")).has(Severity.ERROR, "acks")).isFalse();
  }

  @Test
  void acksOneWithoutIdempotenceAskedIsAWarningThatIdempotenceIsOff() {
    LintReport r = producer(Map.of("acks", "1"));
    assertThat(r.has(Severity.WARN, "acks")).isTrue();
    assertThat(r.hasErrors()).isFalse();
    assertThat(producer(Map.of("acks", "all")).findings()).isEmpty();
  }

  @Test
  void moreThanFiveRequestsInFlight() {
    assertThat(
            producer(with(TX_PRODUCER, "max.in.flight.requests.per.connection", 6))
                .has(Severity.ERROR, "max.in.flight.requests.per.connection"))
        .isTrue();
    assertThat(
            producer(Map.of("max.in.flight.requests.per.connection", "10"))
                .has(Severity.WARN, "max.in.flight.requests.per.connection"))
        .isTrue();
    assertThat(producer(with(TX_PRODUCER, "max.in.flight.requests.per.connection", 5)).findings())
        .isEmpty();
  }

  @Test
  void retriesZero() {
    assertThat(producer(with(TX_PRODUCER, "retries", "0")).has(Severity.ERROR, "retries")).isTrue();
    assertThat(producer(Map.of("retries", 0)).has(Severity.WARN, "retries")).isTrue();
    assertThat(producer(with(TX_PRODUCER, "retries", "3")).findings()).isEmpty();
  }

  @Test
  void deliveryTimeoutBelowLingerPlusRequestTimeout() {
    LintReport r =
        producer(
            Map.of(
                "delivery.timeout.ms", "30000", "linger.ms", "100", "request.timeout.ms", "30000"));
    assertThat(r.has(Severity.ERROR, "delivery.timeout.ms")).isTrue();
    assertThat(r.errors().get(0).fix()).contains("30100");
    assertThat(producer(Map.of("delivery.timeout.ms", "30100", "linger.ms", "100")).findings())
        .isEmpty();
  }

  @Test
  void perStartTransactionalIdIsAnErrorForAProducerAloneAndAWarningInsideAGroup() {
    for (String id :
        new String[] {
          "orders-3f2b8c1e-9d4a-4b7e-8a61-0c5d2e7f9b13", "app-3f2b8c1e9d4a4b7e8a610c5d2e7f9b13"
        }) {
      assertThat(producer(Map.of("transactional.id", id)).has(Severity.ERROR, "transactional.id"))
          .as(id)
          .isTrue();
    }
    // A number may be a stable ordinal: a time stamp is only probably per start.
    for (String id : new String[] {"orders-" + 1_765_000_000_000L, "relay-2026-12-07T14:03"}) {
      LintReport r = producer(Map.of("transactional.id", id));
      assertThat(r.has(Severity.WARN, "transactional.id")).as(id).isTrue();
      assertThat(r.hasErrors()).as(id).isFalse();
    }
    LintReport inGroup =
        ConfigLint.builder()
            .producer(Map.of("transactional.id", "orders-" + java.util.UUID.randomUUID()))
            .consumer(GOOD_CONSUMER)
            .build()
            .run();
    assertThat(inGroup.has(Severity.WARN, "transactional.id")).isTrue();
    assertThat(inGroup.hasErrors()).isFalse();
    for (String id :
        new String[] {
          "orders-node-1", "exactly-outbox-orders", "orders-pod-7", "outbox_t4242_98765432101234567"
        }) {
      assertThat(producer(Map.of("transactional.id", id)).findings()).as(id).isEmpty();
    }
  }

  @Test
  void autoCommitWithTransactionsIsAnErrorAndAloneAWarning() {
    Map<String, Object> autoCommit = with(GOOD_CONSUMER, "enable.auto.commit", "true");
    LintReport tx = ConfigLint.builder().producer(TX_PRODUCER).consumer(autoCommit).build().run();
    assertThat(tx.has(Severity.ERROR, "enable.auto.commit")).isTrue();
    // Kafka's default is on for a consumer in a group.
    LintReport alone =
        ConfigLint.builder()
            .consumer(Map.of("group.id", "g", "isolation.level", "read_committed"))
            .build()
            .run();
    assertThat(alone.has(Severity.WARN, "enable.auto.commit")).isTrue();
    assertThat(alone.guarantee()).isEqualTo(DeliveryGuarantee.AT_MOST_ONCE);
    assertThat(ConfigLint.builder().consumer(GOOD_CONSUMER).build().run().findings()).isEmpty();
  }

  @Test
  void readUncommittedDownstreamOfTransactions() {
    Map<String, Object> uncommitted = with(GOOD_CONSUMER);
    uncommitted.remove("isolation.level"); // Kafka's default is read_uncommitted
    LintReport r = ConfigLint.builder().producer(TX_PRODUCER).consumer(uncommitted).build().run();
    assertThat(r.has(Severity.ERROR, "isolation.level")).isTrue();
    assertThat(r.guarantee()).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
    assertThat(
            ConfigLint.builder()
                .consumer(uncommitted)
                .build()
                .run()
                .has(Severity.WARN, "isolation.level"))
        .isTrue();
    assertThat(
            ConfigLint.builder()
                .producer(TX_PRODUCER)
                .consumer(GOOD_CONSUMER)
                .build()
                .run()
                .findings())
        .isEmpty();
  }

  @Test
  void transactionTimeoutAboveTheBrokerMaximum() {
    Map<String, Object> broker = safeBroker();
    broker.put("transaction.max.timeout.ms", "600000");
    LintReport r =
        ConfigLint.builder()
            .producer(with(TX_PRODUCER, "transaction.timeout.ms", "900000"))
            .broker(broker)
            .build()
            .run();
    assertThat(r.has(Severity.ERROR, "transaction.timeout.ms")).isTrue();
    LintReport ok =
        ConfigLint.builder()
            .producer(with(TX_PRODUCER, "transaction.timeout.ms", "600000"))
            .broker(broker)
            .build()
            .run();
    assertThat(ok.findings()).isEmpty();
  }

  @Test
  void transactionalIdExpirationShorterThanTheIdleGap() {
    Map<String, Object> broker = safeBroker();
    broker.put("transactional.id.expiration.ms", Duration.ofHours(12).toMillis());
    LintReport r = ConfigLint.builder().producer(TX_PRODUCER).broker(broker).build().run();
    assertThat(r.has(Severity.WARN, "transactional.id.expiration.ms")).isTrue();
    LintReport shortGap =
        ConfigLint.builder()
            .producer(TX_PRODUCER)
            .broker(broker)
            .idleGap(Duration.ofHours(1))
            .build()
            .run();
    assertThat(shortGap.findings()).isEmpty();
  }

  @Test
  void pollIntervalShorterThanTheTransactionTimeout() {
    LintReport r =
        ConfigLint.builder()
            .producer(with(TX_PRODUCER, "transaction.timeout.ms", "600000"))
            .consumer(GOOD_CONSUMER)
            .build()
            .run();
    assertThat(r.has(Severity.WARN, "max.poll.interval.ms")).isTrue();
    LintReport ok =
        ConfigLint.builder()
            .producer(with(TX_PRODUCER, "transaction.timeout.ms", "600000"))
            .consumer(with(GOOD_CONSUMER, "max.poll.interval.ms", "900000"))
            .build()
            .run();
    assertThat(ok.findings()).isEmpty();
  }

  @Test
  void transactionStateLogAndMinInsyncReplicas() {
    LintReport r =
        ConfigLint.builder()
            .broker(
                Map.of(
                    "transaction.state.log.replication.factor", "1",
                    "transaction.state.log.min.isr", "1",
                    "min.insync.replicas", "1",
                    "auto.create.topics.enable", "false"))
            .build()
            .run();
    assertThat(r.has(Severity.WARN, "transaction.state.log.replication.factor")).isTrue();
    assertThat(r.has(Severity.WARN, "transaction.state.log.min.isr")).isTrue();
    assertThat(r.has(Severity.WARN, "min.insync.replicas")).isTrue();
    assertThat(ConfigLint.builder().broker(safeBroker()).build().run().findings()).isEmpty();
  }

  @Test
  void autoCreateTopics() {
    Map<String, Object> broker = safeBroker();
    broker.remove("auto.create.topics.enable"); // Kafka's default is true
    assertThat(
            ConfigLint.builder()
                .broker(broker)
                .build()
                .run()
                .has(Severity.WARN, "auto.create.topics.enable"))
        .isTrue();
  }

  @Test
  void transactionVersionBelowTwo() {
    LintReport old =
        ConfigLint.builder().features(Map.of("transaction.version", (short) 1)).build().run();
    assertThat(old.has(Severity.WARN, "transaction.version")).isTrue();
    LintReport current =
        ConfigLint.builder().features(Map.of("transaction.version", (short) 2)).build().run();
    assertThat(current.has(Severity.WARN, "transaction.version")).isFalse();
    assertThat(current.has(Severity.INFO, "transaction.version")).isTrue();
  }

  @Test
  void consumerGroupProtocolNeedsGroupVersionOne() {
    Map<String, Object> kip848 = with(GOOD_CONSUMER, "group.protocol", "consumer");
    LintReport without =
        ConfigLint.builder()
            .consumer(kip848)
            .features(Map.of("transaction.version", (short) 2))
            .build()
            .run();
    assertThat(without.has(Severity.ERROR, "group.protocol")).isTrue();
    LintReport with =
        ConfigLint.builder()
            .consumer(kip848)
            .features(Map.of("transaction.version", (short) 2, "group.version", (short) 1))
            .build()
            .run();
    assertThat(with.hasErrors()).isFalse();
    assertThat(with.has(Severity.INFO, "group.protocol")).isTrue();
  }

  @Test
  void streamsGuarantees() {
    LintReport removed =
        ConfigLint.builder().streams(Map.of("processing.guarantee", "exactly_once")).build().run();
    assertThat(removed.has(Severity.ERROR, "processing.guarantee")).isTrue();
    LintReport eos =
        ConfigLint.builder()
            .streams(Map.of("processing.guarantee", "exactly_once_v2", "application.id", "a"))
            .build()
            .run();
    assertThat(eos.findings()).isEmpty();
    assertThat(eos.guarantee()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
    LintReport badProducer =
        ConfigLint.builder()
            .streams(Map.of("processing.guarantee", "exactly_once_v2", "producer.acks", "1"))
            .build()
            .run();
    assertThat(badProducer.has(Severity.ERROR, "acks")).isTrue();
  }

  @Test
  void refuseErrorsNamesKeyValueAndFix() {
    assertThatThrownBy(
            () ->
                ConfigLint.refuseErrors(
                    Map.of("transactional.id", "t-1", "max.in.flight.requests.per.connection", "8"),
                    null))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("max.in.flight.requests.per.connection=8 ")
        .hasMessageContaining("set max.in.flight.requests.per.connection to 5 or less");
  }

  private static Map<String, Object> safeBroker() {
    Map<String, Object> b = new HashMap<>();
    b.put("transaction.state.log.replication.factor", "3");
    b.put("transaction.state.log.min.isr", "2");
    b.put("min.insync.replicas", "2");
    b.put("auto.create.topics.enable", "false");
    return b;
  }
}
