package dev.exactly.lint;

import dev.exactly.ConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Says which delivery guarantee a set of Kafka configurations gives, and every setting that weakens
 * it, with the fix and the Kafka document or KIP the rule rests on.
 *
 * <p>Give it any of a producer's, a consumer's, a Kafka Streams application's and a broker's
 * configuration, and what the cluster reports (finalized feature levels). Rules that need a
 * configuration not given are skipped: without a broker's configuration nothing is said about
 * {@code transaction.max.timeout.ms}. Keys absent from a configuration take Kafka's defaults.
 *
 * <p>Exactly's component builders run it over the client properties they derive, and refuse in
 * {@code build()} what it calls an {@link Severity#ERROR}; the {@code exactly lint} command prints
 * it. Instances are immutable and thread-safe.
 */
public final class ConfigLint {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ConfigLint.class);

  private final Props producer;
  private final Props consumer;
  private final Props streams;
  private final Props broker;
  private final Map<String, Short> features;
  private final Duration idleGap;

  private ConfigLint(Builder b) {
    this.producer = b.producer == null ? null : new Props("producer", b.producer);
    this.consumer = b.consumer == null ? null : new Props("consumer", b.consumer);
    this.streams = b.streams == null ? null : new Props("streams", b.streams);
    this.broker = b.broker == null ? null : new Props("broker", b.broker);
    this.features = b.features == null ? null : Map.copyOf(b.features);
    this.idleGap = b.idleGap;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Runs every rule that the given configurations allow. */
  public LintReport run() {
    List<Finding> out = new ArrayList<>();
    Props effectiveProducer = producer;
    Props effectiveConsumer = consumer;
    boolean transactional = producer != null && producer.isSet("transactional.id");
    DeliveryGuarantee base;
    if (streams != null) {
      boolean eos = StreamsRules.check(streams, out);
      transactional |= eos;
      base = eos ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE;
      // Streams passes producer./consumer. prefixed keys (and unprefixed common ones) to its
      // clients.
      if (effectiveProducer == null) {
        effectiveProducer = new Props("streams", streams.withPrefixStripped("producer."));
      }
      // Its consumers' offsets and isolation are Streams' own business, so no consumer rules.
    } else if (transactional) {
      base = DeliveryGuarantee.EXACTLY_ONCE;
    } else if (producer != null || consumer != null) {
      base = DeliveryGuarantee.AT_LEAST_ONCE;
    } else {
      base = DeliveryGuarantee.EXACTLY_ONCE; // a broker alone: what it allows its clients
    }
    boolean streamsOwnsTransactions = streams != null && transactional;
    if (effectiveProducer != null) {
      ProducerRules.check(
          effectiveProducer,
          transactional,
          consumer != null || streams != null,
          streamsOwnsTransactions,
          out);
    }
    if (effectiveConsumer != null && !streamsOwnsTransactions) {
      ConsumerRules.check(effectiveConsumer, transactional, features, out);
    }
    if (effectiveProducer != null && effectiveConsumer != null && transactional) {
      ConsumerRules.pollIntervalAgainstTransaction(effectiveConsumer, effectiveProducer, out);
    }
    if (broker != null) {
      BrokerRules.check(broker, effectiveProducer, transactional || producer == null, idleGap, out);
    }
    if (features != null) {
      BrokerRules.features(features, out);
    }
    out.sort(Comparator.comparing(Finding::severity));
    DeliveryGuarantee g = base;
    for (Finding f : out) {
      g = g.min(f.limit());
    }
    return new LintReport(g, out);
  }

  /**
   * Throws for the first error in {@code report}, for a component's {@code build()}, and logs its
   * warnings: they do not stop the component, but its operator should hear of them once.
   *
   * @throws ConfigurationException naming the key, the value, why and the fix
   */
  public static void refuseErrors(LintReport report) {
    for (Finding f : report.findings()) {
      if (f.severity() == Severity.WARN) {
        log.warn("configuration: {}", f);
      }
    }
    for (Finding f : report.errors()) {
      throw new ConfigurationException(
          f.key(), f.value(), f.why() + "; " + f.fix() + " (" + f.reference() + ")");
    }
  }

  /** Lints one component's client properties and refuses its errors; what the builders call. */
  public static void refuseErrors(Map<String, ?> producer, Map<String, ?> consumer) {
    Builder b = builder();
    if (producer != null) {
      b.producer(producer);
    }
    if (consumer != null) {
      b.consumer(consumer);
    }
    refuseErrors(b.build().run());
  }

  /** Collects the configurations to lint; each is copied when given. */
  public static final class Builder {
    private Map<String, ?> producer;
    private Map<String, ?> consumer;
    private Map<String, ?> streams;
    private Map<String, ?> broker;
    private Map<String, Short> features;
    private Duration idleGap = Duration.ofDays(1);

    private Builder() {}

    public Builder producer(Map<String, ?> properties) {
      this.producer = Map.copyOf(nonNullValues(properties));
      return this;
    }

    public Builder consumer(Map<String, ?> properties) {
      this.consumer = Map.copyOf(nonNullValues(properties));
      return this;
    }

    /**
     * A Kafka Streams application's properties ({@code processing.guarantee}, prefixed client
     * keys).
     */
    public Builder streams(Map<String, ?> properties) {
      this.streams = Map.copyOf(nonNullValues(properties));
      return this;
    }

    /** A broker's configuration, as {@code server.properties} or describeConfigs gives it. */
    public Builder broker(Map<String, ?> properties) {
      this.broker = Map.copyOf(nonNullValues(properties));
      return this;
    }

    /**
     * The cluster's finalized feature levels ({@code transaction.version}, {@code group.version}),
     * as Admin describeFeatures reports them; a feature absent is at level 0.
     */
    public Builder features(Map<String, Short> finalizedLevels) {
      this.features = Map.copyOf(finalizedLevels);
      return this;
    }

    /**
     * The longest time a transactional producer may go without a transaction (a nightly job: a day,
     * the default); the broker forgets a {@code transactional.id} idle longer than {@code
     * transactional.id.expiration.ms}.
     */
    public Builder idleGap(Duration gap) {
      if (gap == null || gap.isNegative() || gap.isZero()) {
        throw new IllegalArgumentException("lint.idleGap " + gap + " must be a positive duration");
      }
      this.idleGap = gap;
      return this;
    }

    public ConfigLint build() {
      return new ConfigLint(this);
    }

    private static Map<String, ?> nonNullValues(Map<String, ?> m) {
      Objects.requireNonNull(m, "properties");
      Map<String, Object> out = new java.util.HashMap<>();
      m.forEach(
          (k, v) -> {
            if (v != null) {
              out.put(k, v instanceof Class<?> c ? c.getName() : v);
            }
          });
      return out;
    }
  }
}
