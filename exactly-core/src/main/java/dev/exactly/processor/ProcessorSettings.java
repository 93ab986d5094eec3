package dev.exactly.processor;

import dev.exactly.ConfigurationException;
import dev.exactly.FaultInjection;
import dev.exactly.Ordering;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.Failures;
import dev.exactly.internal.KafkaSettings;
import dev.exactly.internal.StartPolicy;
import dev.exactly.lint.ConfigLint;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/** A processor's checked, immutable settings and the client properties derived from them. */
record ProcessorSettings(
    Guarantee guarantee,
    String groupId,
    String instanceId,
    String transactionalId,
    String inputTopic,
    String deadLetterTopic,
    Deserializer<?> keyDeserializer,
    Deserializer<?> valueDeserializer,
    Serializer<?> keySerializer,
    Serializer<?> valueSerializer,
    RecordProcessor<?, ?, ?, ?> processor,
    Duration commitInterval,
    int maxBatchRecords,
    RetryPolicy retry,
    Failures failures,
    Ticker ticker,
    FaultInjection faults,
    Duration pollTimeout,
    StartPolicy start,
    int concurrency,
    Ordering ordering,
    Executor executor,
    Map<String, Object> consumerProperties,
    Map<String, Object> producerProperties,
    Function<Map<String, Object>, Producer<byte[], byte[]>> producerFactory) {

  static ProcessorSettings from(ExactlyOnceProcessor.Builder<?, ?, ?, ?> b) {
    boolean exactlyOnce = b.guarantee == Guarantee.EXACTLY_ONCE;
    String guaranteeName = exactlyOnce ? "exactly-once" : "the at-least-once processor";
    Object propsGroup = b.kafkaProperties.get(ConsumerConfig.GROUP_ID_CONFIG);
    String groupId = b.groupId != null ? b.groupId : (propsGroup == null ? null : "" + propsGroup);
    if (groupId == null || groupId.isBlank()) {
      throw new ConfigurationException(
          "processor.groupId", groupId, "is required; call groupId(...) or set group.id");
    }
    if (propsGroup != null && !groupId.equals(String.valueOf(propsGroup))) {
      throw new ConfigurationException(
          ConsumerConfig.GROUP_ID_CONFIG,
          propsGroup,
          "contradicts groupId(" + groupId + "); give the group once");
    }
    String instance = b.instanceId != null ? b.instanceId : "alo-" + ProcessHandle.current().pid();
    String prefix = b.transactionalIdPrefix != null ? b.transactionalIdPrefix : groupId;
    String transactionalId = exactlyOnce ? prefix + "-" + instance : null;

    KafkaSettings consumer = new KafkaSettings(b.kafkaProperties, guaranteeName);
    rejectSerdes(consumer);
    consumer
        .require(
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            "false",
            "offsets are committed by the processor after the outputs")
        .set(ConsumerConfig.GROUP_ID_CONFIG, groupId)
        .withDefault(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
        .withDefault(ConsumerConfig.CLIENT_ID_CONFIG, groupId + "-" + instance + "-consumer")
        .set(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)
        .set(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    if (b.instanceId != null && b.staticMembership) {
      // Static membership: a restarted instance takes its partitions back at once instead of
      // waiting out its dead predecessor's session, and the group does not rebalance twice.
      consumer.withDefault(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance);
    }
    if (b.start.requireExistingTopics()) {
      // A mistyped input topic must be refused at start, not created by the first poll.
      consumer.withDefault(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    }
    if (exactlyOnce) {
      consumer.require(
          ConsumerConfig.ISOLATION_LEVEL_CONFIG,
          "read_committed",
          "an input written in an aborted transaction must never be processed");
    }

    KafkaSettings producer = new KafkaSettings(b.kafkaProperties, guaranteeName);
    Object acks = producer.get(ProducerConfig.ACKS_CONFIG);
    if (acks != null && "-1".equals(String.valueOf(acks).trim())) {
      producer.set(ProducerConfig.ACKS_CONFIG, "all"); // the same setting, spelt differently
    }
    producer
        .require(
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            "true",
            "retried sends must not duplicate or reorder outputs")
        .require(
            ProducerConfig.ACKS_CONFIG, "all", "an acknowledged output must survive a broker loss")
        .forbid(
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            "the processor derives it from transactionalIdPrefix and instanceId")
        .withDefault(ProducerConfig.CLIENT_ID_CONFIG, groupId + "-" + instance + "-producer")
        // Measured: back-to-back transactions wait retry.backoff.ms on CONCURRENT_TRANSACTIONS;
        // 10 ms instead of 100 ms made transactional runs 2.5-3x faster.
        .withDefault(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10)
        // Outputs become visible at the commit, which flushes anyway: lingering up to the commit
        // interval costs no latency and makes bigger produce requests (measured in exactly-bench).
        .withDefault(
            ProducerConfig.LINGER_MS_CONFIG,
            Math.min(100, Math.max(5, b.commitInterval.toMillis())))
        .withDefault(ProducerConfig.BATCH_SIZE_CONFIG, 131_072)
        .set(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)
        .set(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    if (exactlyOnce) {
      producer.set(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
      requireRoomForABatch(producer.toMap(), b.commitInterval, b.pollTimeout, b.retry);
    }
    // Settings no require() above covers (in-flight requests, retries, delivery timeout) fail the
    // same way lint reports them, here rather than at the first send.
    ConfigLint.refuseErrors(producer.toMap(), consumer.toMap());
    return new ProcessorSettings(
        b.guarantee,
        groupId,
        instance,
        transactionalId,
        b.inputTopic,
        b.deadLetterTopic != null ? b.deadLetterTopic : b.inputTopic + ".dlt",
        b.keyDeserializer,
        b.valueDeserializer,
        b.keySerializer,
        b.valueSerializer,
        Objects.requireNonNull(b.processor),
        b.commitInterval,
        b.maxBatchRecords,
        b.retry,
        new Failures(new LinkedHashSet<>(b.nonRetriable)),
        b.ticker,
        b.faults,
        b.pollTimeout,
        b.start,
        b.concurrency,
        b.ordering,
        b.executor,
        consumer.toMap(),
        producer.toMap(),
        b.producerFactory);
  }

  /**
   * A batch's transaction stays open while the batch fills, for its commit interval and the poll
   * that ends it, then for its commit. (A batch that grows while the previous commit is in flight
   * holds its outputs, and its transaction begins only when that commit has returned.) A failing
   * record's retry backoffs come on top: it is retried in place, in the open transaction (a batch
   * that waited one out commits once past its interval). A transaction timeout inside that bound
   * would have the coordinator abort batches that are on time, over and over.
   */
  private static void requireRoomForABatch(
      Map<String, Object> producer,
      Duration commitInterval,
      Duration pollTimeout,
      RetryPolicy retry) {
    Duration timeout = transactionTimeout(producer);
    Duration backoffs = retry.totalBackoff();
    Duration batch = commitInterval.plus(pollTimeout).plus(backoffs);
    if (timeout.compareTo(batch) <= 0) {
      throw new ConfigurationException(
          ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
          producer.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
          "is not longer than one batch may stay open (commitInterval "
              + commitInterval.toMillis()
              + " ms + pollTimeout "
              + pollTimeout.toMillis()
              + " ms + one record's retry backoffs "
              + backoffs.toMillis()
              + " ms = "
              + batch.toMillis()
              + " ms), so the coordinator would abort batches that are on time; raise it well"
              + " above that, by the longest process() call or broker outage to ride out (the"
              + " default is 60000), or shorten commitInterval or the retry policy's waits");
    }
  }

  private static Duration transactionTimeout(Map<String, Object> producer) {
    Object v = producer.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG);
    if (v == null) {
      return Duration.ofMillis(60_000); // the producer's default
    }
    try {
      return Duration.ofMillis(Long.parseLong(String.valueOf(v).trim()));
    } catch (NumberFormatException e) {
      throw new ConfigurationException(
          ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, v, "must be a number of milliseconds");
    }
  }

  /** The producer's {@code transaction.timeout.ms}: how long the coordinator lets one stay open. */
  Duration transactionTimeout() {
    return transactionTimeout(producerProperties);
  }

  private static void rejectSerdes(KafkaSettings s) {
    String why = "the processor reads and writes byte arrays and runs your (de)serializers itself";
    s.forbid(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, why + "; pass them to input(...)")
        .forbid(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, why + "; pass them to input(...)")
        .forbid(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, why + "; pass them to output(...)")
        .forbid(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, why + "; pass them to output(...)");
  }

  boolean exactlyOnce() {
    return guarantee == Guarantee.EXACTLY_ONCE;
  }

  /** The processor's name in logs and thread names: group/instance. */
  String name() {
    return groupId + "/" + instanceId;
  }

  /** A new producer with this processor's properties. */
  Producer<byte[], byte[]> newProducer() {
    return producerFactory.apply(producerProperties);
  }
}
