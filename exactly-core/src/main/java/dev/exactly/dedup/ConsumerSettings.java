package dev.exactly.dedup;

import dev.exactly.ConfigurationException;
import dev.exactly.FaultInjection;
import dev.exactly.Ordering;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.Failures;
import dev.exactly.internal.KafkaSettings;
import dev.exactly.internal.StartPolicy;
import dev.exactly.lint.ConfigLint;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * An idempotent consumer's settings once {@link IdempotentConsumer.Builder#build()} has checked
 * them together; immutable, shared by the engine's parts.
 */
record ConsumerSettings<K, V>(
    String groupId,
    String instanceId,
    String topic,
    String namespace,
    boolean namespaceIdempotencyKey,
    String deadLetterTopic,
    Map<String, Object> consumerProperties,
    Map<String, ?> userProperties,
    Deserializer<K> keyDeserializer,
    Deserializer<V> valueDeserializer,
    DedupKey dedupKey,
    DedupStore store,
    Duration lease,
    Duration retention,
    IdempotentConsumer.ResultHandler<K, V> handler,
    IdempotentConsumer.TransactionalHandler<K, V> transactionalHandler,
    IdempotentConsumer.DuplicateListener<K, V> onDuplicate,
    RetryPolicy retry,
    Failures failures,
    MeterRegistry meterRegistry,
    Ticker ticker,
    FaultInjection faults,
    Duration pollTimeout,
    StartPolicy start,
    int concurrency,
    Ordering ordering,
    Executor executor) {

  /** {@code groupId/instanceId}: how logs, threads and client ids name this consumer. */
  String name() {
    return groupId + "/" + instanceId;
  }

  /**
   * @throws ConfigurationException naming the setting, the value and the fix
   */
  @SuppressWarnings("unchecked")
  static <K, V> ConsumerSettings<K, V> from(IdempotentConsumer.Builder<K, V> b) {
    String groupId = groupId(b);
    if (b.instanceId != null && b.instanceId.isBlank()) {
      throw new ConfigurationException(
          "dedup.instanceId",
          b.instanceId,
          "is blank; name this instance (a pod or host name) or leave it unset");
    }
    if (b.topic == null || b.topic.isBlank()) {
      throw new ConfigurationException(
          "dedup.input",
          b.topic,
          "is required: call input(topic, keyDeserializer, valueDeserializer)");
    }
    if (b.store == null) {
      throw new ConfigurationException(
          "dedup.store", null, "is required: pass a DedupStore (JDBC, Redis, or in-memory)");
    }
    if (b.handler == null && b.transactionalHandler == null) {
      throw new ConfigurationException(
          "dedup.handler",
          null,
          "is required: call handler(..), resultHandler(..) or transactionalHandler(..) after"
              + " input(..)");
    }
    if (b.transactionalHandler != null && !(b.store instanceof TransactionalDedupStore)) {
      throw new ConfigurationException(
          "dedup.store",
          b.store.name(),
          "cannot commit a transactionalHandler's writes with its keys: pass a"
              + " TransactionalDedupStore (JdbcDedupStore on the DataSource the handler writes"
              + " to, not wrapped in a FrontCachedDedupStore), or use handler(..)");
    }
    positive("dedup.lease", b.lease);
    positive("dedup.retention", b.retention);
    if (b.retention.compareTo(b.lease) <= 0) {
      throw new ConfigurationException(
          "dedup.retention",
          b.retention,
          "is not longer than dedup.lease " + b.lease + "; a done key must outlive its claim");
    }
    if (b.lease.compareTo(MIN_LEASE) < 0) {
      throw new ConfigurationException(
          "dedup.lease",
          b.lease,
          "is shorter than "
              + MIN_LEASE
              + ": the lease is renewed every third of it, and a renewal must reach the store and"
              + " answer well within that; set dedup.lease to at least "
              + MIN_LEASE
              + " (default "
              + IdempotentConsumer.DEFAULT_LEASE
              + ")");
    }
    if (b.concurrency < 1 || b.concurrency > MAX_CONCURRENCY) {
      throw new ConfigurationException(
          "dedup.concurrency",
          b.concurrency,
          "must be 1.."
              + MAX_CONCURRENCY
              + "; 1 runs one record at a time, n runs up to n keys' handlers at once");
    }
    if (b.ordering == null) {
      throw new ConfigurationException(
          "dedup.ordering", null, "is required: pass Ordering.KEY, PARTITION or UNORDERED");
    }
    String namespace = b.keyNamespace == null ? groupId : b.keyNamespace;
    if (namespace.isEmpty() || namespace.length() > 128) {
      throw new ConfigurationException(
          "dedup.keyNamespace", namespace, "must have 1..128 characters");
    }
    String dlt = b.deadLetterTopic == null ? b.topic + ".dlt" : b.deadLetterTopic;
    if (dlt.equals(b.topic)) {
      throw new ConfigurationException(
          "dedup.deadLetterTopic", dlt, "is the input topic; name another topic");
    }
    KafkaSettings consumer =
        new KafkaSettings(b.kafkaProperties, "the idempotent consumer")
            .require(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                "false",
                "offsets are committed only after the store marks the batch done")
            .forbid(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                "the key deserializer is given to input(..)")
            .forbid(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                "the value deserializer is given to input(..)")
            .set(ConsumerConfig.GROUP_ID_CONFIG, groupId)
            .withDefault(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
            .withDefault(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
            .withDefault(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    if (b.instanceId != null) {
      // Static membership: a restarted instance takes its partitions back without waiting out its
      // dead predecessor's session. Only for a name the user gave: a host name is not unique.
      consumer.withDefault(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, b.instanceId);
    }
    if (b.start.requireExistingTopics()) {
      // A mistyped input topic must be refused at start, not created by the first poll.
      consumer.withDefault(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    }
    // The consumer's own settings as lint judges them (no producer: it writes only dead letters).
    ConfigLint.refuseErrors(null, consumer.toMap());
    return new ConsumerSettings<>(
        groupId,
        b.instanceId != null ? b.instanceId : defaultInstanceId(b.kafkaProperties),
        b.topic,
        namespace,
        b.namespaceIdempotencyKey,
        dlt,
        consumer.toMap(),
        b.kafkaProperties,
        (Deserializer<K>) b.keyDeserializer,
        (Deserializer<V>) b.valueDeserializer,
        b.dedupKey,
        b.store,
        b.lease,
        b.retention,
        b.handler,
        b.transactionalHandler,
        b.onDuplicate,
        b.retry,
        new Failures(b.nonRetriable),
        b.meterRegistry,
        b.ticker,
        b.faults,
        b.pollTimeout,
        b.start,
        b.concurrency,
        b.ordering,
        b.executor);
  }

  private static String groupId(IdempotentConsumer.Builder<?, ?> b) {
    Object propertyGroup = b.kafkaProperties.get(ConsumerConfig.GROUP_ID_CONFIG);
    String groupId = b.groupId;
    if (groupId == null && propertyGroup != null) {
      groupId = propertyGroup.toString();
    }
    if (groupId == null || groupId.isBlank()) {
      throw new ConfigurationException(
          "dedup.groupId", groupId, "is required: call groupId(..) or set group.id");
    }
    if (propertyGroup != null && !propertyGroup.toString().equals(groupId)) {
      throw new ConfigurationException(
          ConsumerConfig.GROUP_ID_CONFIG,
          propertyGroup,
          "contradicts groupId(" + groupId + "); set the group in one place");
    }
    return groupId;
  }

  /**
   * The user's {@code group.instance.id} when set (static membership already names the instance
   * stably), otherwise this host's name: both stay the same across restarts of one deployment, so
   * the {@code instance} tag of the meters does not change with every restart.
   */
  static String defaultInstanceId(Map<String, ?> kafkaProperties) {
    Object staticMember = kafkaProperties.get(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    if (staticMember != null && !staticMember.toString().isBlank()) {
      return staticMember.toString();
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "localhost";
    }
  }

  /**
   * The shortest lease: renewals every third of it must fit a store round trip with its retries.
   */
  /** More tasks than this would only queue on the store and the poll's records. */
  static final int MAX_CONCURRENCY = 4096;

  static final Duration MIN_LEASE = Duration.ofSeconds(1);

  private static void positive(String key, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new ConfigurationException(key, d, "must be a positive duration");
    }
  }
}
