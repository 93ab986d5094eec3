package dev.exactly.dedup;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.NonRetriableException;
import dev.exactly.RetryPolicy;
import dev.exactly.internal.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idempotent consumer's loop: poll, claim, handle, complete, commit. Runs on one thread; only
 * {@link #stop()} is called from another.
 */
final class IdempotentEngine<K, V> {
  private static final Logger log = LoggerFactory.getLogger(IdempotentEngine.class);
  private static final Duration MAX_STORE_BACKOFF = Duration.ofSeconds(5);
  private static final Duration MIN_IN_FLIGHT_WAIT = Duration.ofMillis(50);

  private final String groupId;
  private final String topic;
  private final String namespace;
  private final String deadLetterTopic;
  private final Map<String, Object> consumerProperties;
  private final Map<String, Object> userProperties;
  private final Deserializer<K> keyDeserializer;
  private final Deserializer<V> valueDeserializer;
  private final DedupKey dedupKey;
  private final DedupStore store;
  private final Duration lease;
  private final Duration retention;
  private final IdempotentConsumer.ResultHandler<K, V> handler;
  private final IdempotentConsumer.DuplicateListener<K, V> onDuplicate;
  private final RetryPolicy retry;
  private final ConsumerProbe probe;
  private final Duration pollTimeout;
  private final DedupMetrics metrics;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile KafkaConsumer<byte[], byte[]> consumer;

  /** Partitions waiting for another holder's lease, and when to look again (epoch millis). */
  private final Map<TopicPartition, Long> waiting = new HashMap<>();

  private Duration storeBackoff = Duration.ZERO;

  IdempotentEngine(
      IdempotentConsumer.Builder<K, V> b,
      Map<String, Object> consumerProperties,
      String namespace,
      String deadLetterTopic,
      Deserializer<K> keyDeserializer,
      Deserializer<V> valueDeserializer) {
    this.groupId = b.groupId;
    this.topic = b.topic;
    this.namespace = namespace;
    this.deadLetterTopic = deadLetterTopic;
    this.consumerProperties = consumerProperties;
    this.userProperties = new HashMap<>(b.kafkaProperties);
    this.keyDeserializer = keyDeserializer;
    this.valueDeserializer = valueDeserializer;
    this.dedupKey = b.dedupKey;
    this.store = b.store;
    this.lease = b.lease;
    this.retention = b.retention;
    this.handler = b.handler;
    this.onDuplicate = b.onDuplicate;
    this.retry = b.retry;
    this.probe = b.probe;
    this.pollTimeout = b.pollTimeout;
    this.metrics = new DedupMetrics(b.meterRegistry, groupId, store.name());
  }

  String groupId() {
    return groupId;
  }

  void stop() {
    running = false;
    stopped.countDown();
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  void run() {
    warnIfRetentionIsShort();
    try (KafkaConsumer<byte[], byte[]> c =
            new KafkaConsumer<>(
                consumerProperties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        KafkaProducer<byte[], byte[]> producer = deadLetterProducer()) {
      consumer = c;
      if (!running) {
        return;
      }
      c.subscribe(List.of(topic), new Listener());
      log.info(
          "idempotent consumer {} started on {} with store {}, lease {}, retention {}",
          groupId,
          topic,
          store.name(),
          lease,
          retention);
      while (running) {
        resumeDuePartitions(c);
        ConsumerRecords<byte[], byte[]> polled;
        try {
          polled = c.poll(pollTimeout);
        } catch (WakeupException e) {
          continue;
        }
        if (!polled.isEmpty()) {
          new Batch(c, producer, polled).process();
        }
      }
    } finally {
      keyDeserializer.close();
      valueDeserializer.close();
      log.info("idempotent consumer {} stopped", groupId);
    }
  }

  /** One poll batch, processed in the order claim, handle, complete, commit. */
  private final class Batch {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ConsumerRecords<byte[], byte[]> polled;
    private final Map<TopicPartition, Long> nextOffsets = new LinkedHashMap<>();
    private final List<Claim.Claimed> succeeded = new ArrayList<>();
    private final Set<String> succeededKeys = new HashSet<>();
    private final Set<String> usedKeys = new HashSet<>();
    private final Map<String, StoredResult> results = new HashMap<>();
    private final List<Claim.Claimed> toRelease = new ArrayList<>();

    Batch(
        KafkaConsumer<byte[], byte[]> consumer,
        KafkaProducer<byte[], byte[]> producer,
        ConsumerRecords<byte[], byte[]> polled) {
      this.consumer = consumer;
      this.producer = producer;
      this.polled = polled;
    }

    void process() {
      Map<TopicPartition, List<Item<K, V>>> items = new LinkedHashMap<>();
      List<String> keys = new ArrayList<>();
      for (TopicPartition tp : polled.partitions()) {
        List<Item<K, V>> list = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> raw : polled.records(tp)) {
          Item<K, V> item = prepare(raw);
          list.add(item);
          if (item.dedupKey != null) {
            keys.add(item.dedupKey);
          }
        }
        items.put(tp, list);
      }
      Map<String, Claim> claims;
      try {
        claims = timed(metrics.claimLatency, () -> store.claim(keys, lease));
        storeBackoff = Duration.ZERO;
      } catch (DedupStoreException e) {
        metrics.claimErrors.increment();
        storeBackoff = nextBackoff(storeBackoff);
        log.warn(
            "{}: dedup store {} failed to claim {} keys; processing nothing, polling again in {}:"
                + " {}",
            groupId,
            store.name(),
            keys.size(),
            storeBackoff,
            e.getMessage());
        rewind(items);
        pause(storeBackoff);
        return;
      }
      boolean aborted = false;
      for (Map.Entry<TopicPartition, List<Item<K, V>>> e : items.entrySet()) {
        if (aborted) {
          releaseUnused(e.getValue(), 0, claims);
          seekTo(e.getKey(), e.getValue().get(0).raw.offset());
          continue;
        }
        aborted = !processPartition(e.getKey(), e.getValue(), claims);
      }
      release(toRelease);
      if (!complete()) {
        return;
      }
      commit();
    }

    /** False when stopping cut the partition short; the rest of the batch is not processed. */
    private boolean processPartition(
        TopicPartition tp, List<Item<K, V>> items, Map<String, Claim> claims) {
      for (int i = 0; i < items.size(); i++) {
        Item<K, V> item = items.get(i);
        long offset = item.raw.offset();
        if (!running) {
          stopAt(tp, items, i, claims);
          return false;
        }
        if (item.problem != null) {
          if (!deadLetter(item, item.problemReason, item.problem, 0)) {
            stopAt(tp, items, i, claims);
            return false;
          }
          nextOffsets.put(tp, offset + 1);
          continue;
        }
        String key = item.dedupKey;
        if (usedKeys.contains(key)) {
          if (succeededKeys.contains(key)) {
            skipDuplicate(item, Optional.ofNullable(results.get(key)));
            nextOffsets.put(tp, offset + 1);
            continue;
          }
          // The key failed earlier in this batch and its claim is gone: claim it afresh next poll.
          stopAt(tp, items, i, claims);
          return true;
        }
        Claim claim = claims.get(key);
        if (claim instanceof Claim.Done done) {
          skipDuplicate(item, done.result());
          nextOffsets.put(tp, offset + 1);
        } else if (claim instanceof Claim.InFlight inFlight) {
          metrics.inFlightWaits.increment();
          long now = System.currentTimeMillis();
          long wait =
              Math.min(
                  Math.max(
                      inFlight.leaseExpiry().toEpochMilli() - now, MIN_IN_FLIGHT_WAIT.toMillis()),
                  lease.toMillis());
          log.debug("{}: key {} is in flight elsewhere; {} waits {} ms", groupId, key, tp, wait);
          stopAt(tp, items, i, claims);
          waiting.put(tp, now + wait);
          consumer.pause(List.of(tp));
          return true;
        } else {
          Claim.Claimed claimed = (Claim.Claimed) claim;
          usedKeys.add(key);
          Outcome outcome = handle(item);
          if (outcome.stopped) {
            // Stopping between attempts: the effect did not complete; free the key at once.
            toRelease.add(claimed);
            stopAt(tp, items, i + 1, claims);
            seekTo(tp, offset);
            return false;
          }
          if (outcome.error == null) {
            succeeded.add(claimed);
            succeededKeys.add(key);
            if (outcome.result != null) {
              results.put(key, outcome.result);
            }
            nextOffsets.put(tp, offset + 1);
          } else {
            if (!deadLetter(item, outcome.reason, outcome.error, outcome.attempts)) {
              toRelease.add(claimed);
              stopAt(tp, items, i + 1, claims);
              seekTo(tp, offset);
              return false;
            }
            toRelease.add(claimed);
            nextOffsets.put(tp, offset + 1);
          }
        }
      }
      return true;
    }

    /** Leaves items from {@code from} on for the next poll, releasing claims they will not use. */
    private void stopAt(
        TopicPartition tp, List<Item<K, V>> items, int from, Map<String, Claim> claims) {
      if (from < items.size()) {
        releaseUnused(items, from, claims);
        seekTo(tp, items.get(from).raw.offset());
      }
    }

    private void releaseUnused(List<Item<K, V>> items, int from, Map<String, Claim> claims) {
      for (int j = from; j < items.size(); j++) {
        String key = items.get(j).dedupKey;
        if (key != null
            && !usedKeys.contains(key)
            && claims.get(key) instanceof Claim.Claimed claimed) {
          usedKeys.add(key);
          toRelease.add(claimed);
        }
      }
    }

    private void seekTo(TopicPartition tp, long offset) {
      try {
        consumer.seek(tp, offset);
      } catch (IllegalStateException notAssigned) {
        // lost in a rebalance; the new owner starts from the committed offset
      }
    }

    private void rewind(Map<TopicPartition, List<Item<K, V>>> items) {
      items.forEach((tp, list) -> seekTo(tp, list.get(0).raw.offset()));
    }

    private void skipDuplicate(Item<K, V> item, Optional<StoredResult> result) {
      metrics.duplicatesSkipped.increment();
      try {
        onDuplicate.onDuplicate(item.record(), result);
      } catch (RuntimeException e) {
        log.warn("{}: the duplicate listener threw for key {}; ignored", groupId, item.dedupKey, e);
      }
    }

    private Outcome handle(Item<K, V> item) {
      IdempotentRecord<K, V> record = item.record();
      for (int attempt = 1; ; attempt++) {
        try {
          StoredResult result = handler.handle(record);
          try {
            probe.afterEffect(record);
          } catch (RuntimeException e) {
            log.warn("{}: probe afterEffect threw; ignored", groupId, e);
          }
          return Outcome.success(result);
        } catch (Exception e) {
          metrics.handlerFailures.increment();
          boolean nonRetriable = isNonRetriable(e);
          if (nonRetriable || !retry.canRetryAfter(attempt)) {
            log.warn(
                "{}: handler failed for key {} at {}-{}@{} after {} attempt(s); dead-lettering",
                groupId,
                item.dedupKey,
                item.raw.topic(),
                item.raw.partition(),
                item.raw.offset(),
                attempt,
                e);
            return Outcome.failure(
                e, nonRetriable ? "non-retriable" : "retries-exhausted", attempt);
          }
          if (!pause(retry.backoffAfter(attempt))) {
            return Outcome.STOPPED;
          }
        }
      }
    }

    /** Writes the record to the dead-letter topic; false only when stopping interrupted it. */
    private boolean deadLetter(Item<K, V> item, String reason, Throwable error, int attempts) {
      ConsumerRecord<byte[], byte[]> raw = item.raw;
      Headers headers = new RecordHeaders(raw.headers().toArray());
      header(headers, DeadLetterHeaders.TOPIC, raw.topic());
      header(headers, DeadLetterHeaders.PARTITION, Integer.toString(raw.partition()));
      header(headers, DeadLetterHeaders.OFFSET, Long.toString(raw.offset()));
      if (raw.timestampType() != TimestampType.NO_TIMESTAMP_TYPE) {
        header(headers, DeadLetterHeaders.TIMESTAMP, Long.toString(raw.timestamp()));
      }
      header(headers, DeadLetterHeaders.EXCEPTION_CLASS, error.getClass().getName());
      header(
          headers,
          DeadLetterHeaders.EXCEPTION_MESSAGE,
          error.getMessage() == null ? "" : error.getMessage());
      header(headers, DeadLetterHeaders.ATTEMPTS, Integer.toString(attempts));
      header(headers, DeadLetterHeaders.REASON, reason);
      ProducerRecord<byte[], byte[]> out =
          new ProducerRecord<>(deadLetterTopic, null, raw.key(), raw.value(), headers);
      Duration backoff = Duration.ZERO;
      while (true) {
        try {
          producer.send(out).get();
          metrics.deadLettered.increment();
          return true;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        } catch (ExecutionException | KafkaException e) {
          backoff = nextBackoff(backoff);
          log.warn(
              "{}: cannot write to dead-letter topic {} ({}); the offset waits, retrying in {}",
              groupId,
              deadLetterTopic,
              e.getMessage(),
              backoff);
          if (!pause(backoff)) {
            return false;
          }
        }
      }
    }

    private void release(List<Claim.Claimed> claims) {
      if (claims.isEmpty()) {
        return;
      }
      try {
        timed(
            metrics.releaseLatency,
            () -> {
              store.release(claims);
              return null;
            });
      } catch (DedupStoreException e) {
        // Harmless: an unreleased claim only delays a retry until its lease expires.
        metrics.releaseErrors.increment();
        log.warn("{}: could not release {} claims: {}", groupId, claims.size(), e.getMessage());
      }
    }

    /** Marks the batch's effects done; false when stopping came first (nothing is committed). */
    private boolean complete() {
      if (succeeded.isEmpty()) {
        return true;
      }
      Duration backoff = Duration.ZERO;
      while (true) {
        try {
          Set<String> lost =
              timed(metrics.completeLatency, () -> store.complete(succeeded, retention, results));
          metrics.claimed.increment(succeeded.size());
          if (!lost.isEmpty()) {
            metrics.leasesLost.increment(lost.size());
            log.warn(
                "{}: {} key(s) ran after their lease expired and another instance took them over;"
                    + " lengthen the lease beyond the handler's slowest run. Examples: {}",
                groupId,
                lost.size(),
                lost.stream().limit(5).toList());
          }
          break;
        } catch (DedupStoreException e) {
          metrics.completeErrors.increment();
          backoff = nextBackoff(backoff);
          log.warn(
              "{}: dedup store could not mark {} keys done ({}); offsets wait, retrying in {}",
              groupId,
              succeeded.size(),
              e.getMessage(),
              backoff);
          if (!pause(backoff)) {
            return false;
          }
        }
      }
      try {
        probe.afterComplete(succeeded.stream().map(Claim.Claimed::key).toList());
      } catch (RuntimeException e) {
        log.warn("{}: probe afterComplete threw; ignored", groupId, e);
      }
      return true;
    }

    private void commit() {
      if (nextOffsets.isEmpty()) {
        return;
      }
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      nextOffsets.forEach((tp, next) -> offsets.put(tp, new OffsetAndMetadata(next)));
      try {
        consumer.commitSync(offsets);
      } catch (CommitFailedException | RebalanceInProgressException e) {
        // The partitions moved on; their new owner finds these keys done and skips them.
        log.info(
            "{}: offset commit refused by a rebalance ({}); keys are done",
            groupId,
            e.getMessage());
        return;
      } catch (WakeupException e) {
        // close() woke us: commit once more, since the keys are done and this saves replays.
        try {
          consumer.commitSync(offsets);
        } catch (KafkaException again) {
          log.info("{}: last offset commit failed on close: {}", groupId, again.getMessage());
          return;
        }
      }
      try {
        probe.afterCommit();
      } catch (RuntimeException e) {
        log.warn("{}: probe afterCommit threw; ignored", groupId, e);
      }
    }
  }

  private Item<K, V> prepare(ConsumerRecord<byte[], byte[]> raw) {
    K key;
    V value;
    try {
      key = keyDeserializer.deserialize(raw.topic(), raw.headers(), raw.key());
      value = valueDeserializer.deserialize(raw.topic(), raw.headers(), raw.value());
    } catch (RuntimeException e) {
      return Item.bad(raw, "deserialization", e);
    }
    ConsumerRecord<K, V> record =
        new ConsumerRecord<>(
            raw.topic(),
            raw.partition(),
            raw.offset(),
            raw.timestamp(),
            raw.timestampType(),
            raw.serializedKeySize(),
            raw.serializedValueSize(),
            key,
            value,
            raw.headers(),
            raw.leaderEpoch());
    String k;
    try {
      k = dedupKey.keyOf(record);
    } catch (RuntimeException e) {
      return Item.bad(
          raw, "non-retriable", new NonRetriableException("no dedup key: " + e.getMessage(), e));
    }
    if (k == null || k.isEmpty()) {
      return Item.bad(raw, "non-retriable", new NonRetriableException("the dedup key is empty"));
    }
    String full = namespace + ":" + k;
    if (full.length() > DedupStore.MAX_KEY_LENGTH) {
      return Item.bad(
          raw,
          "non-retriable",
          new NonRetriableException(
              "the dedup key has "
                  + full.length()
                  + " characters with its namespace; the store"
                  + " takes at most "
                  + DedupStore.MAX_KEY_LENGTH));
    }
    return new Item<>(raw, record, full, null, null);
  }

  private static boolean isNonRetriable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof NonRetriableException) {
        return true;
      }
    }
    return false;
  }

  private static final class Item<K, V> {
    final ConsumerRecord<byte[], byte[]> raw;
    final ConsumerRecord<K, V> record;
    final String dedupKey;
    final String problemReason;
    final Exception problem;

    Item(
        ConsumerRecord<byte[], byte[]> raw,
        ConsumerRecord<K, V> record,
        String dedupKey,
        String problemReason,
        Exception problem) {
      this.raw = raw;
      this.record = record;
      this.dedupKey = dedupKey;
      this.problemReason = problemReason;
      this.problem = problem;
    }

    static <K, V> Item<K, V> bad(ConsumerRecord<byte[], byte[]> raw, String reason, Exception e) {
      return new Item<>(raw, null, null, reason, e);
    }

    IdempotentRecord<K, V> record() {
      return new IdempotentRecord<>(record, dedupKey);
    }
  }

  private record Outcome(
      StoredResult result, Exception error, String reason, int attempts, boolean stopped) {
    static final Outcome STOPPED = new Outcome(null, null, null, 0, true);

    static Outcome success(StoredResult result) {
      return new Outcome(result, null, null, 0, false);
    }

    static Outcome failure(Exception error, String reason, int attempts) {
      return new Outcome(null, error, reason, attempts, false);
    }
  }

  private void resumeDuePartitions(KafkaConsumer<byte[], byte[]> c) {
    if (waiting.isEmpty()) {
      return;
    }
    long now = System.currentTimeMillis();
    List<TopicPartition> due = new ArrayList<>();
    waiting.forEach(
        (tp, at) -> {
          if (at <= now) {
            due.add(tp);
          }
        });
    due.forEach(waiting::remove);
    due.retainAll(c.assignment());
    if (!due.isEmpty()) {
      c.resume(due);
    }
  }

  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      // Each batch commits before the next poll, so nothing is pending here.
      partitions.forEach(waiting::remove);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      partitions.forEach(waiting::remove);
    }
  }

  private KafkaProducer<byte[], byte[]> deadLetterProducer() {
    Map<String, Object> p = KafkaSettings.forOtherClient(userProperties);
    p.keySet().retainAll(ProducerConfig.configNames());
    p.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "exactly-dedup-dlt-" + groupId);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Warns when the input can be replayed from further back than the store remembers. */
  private void warnIfRetentionIsShort() {
    Map<String, Object> p = new HashMap<>();
    userProperties.forEach(
        (k, v) -> {
          if (AdminClientConfig.configNames().contains(k)) {
            p.put(k, v);
          }
        });
    p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "exactly-dedup-admin-" + groupId);
    try (Admin admin = Admin.create(p)) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config =
          admin.describeConfigs(List.of(resource)).all().get(15, TimeUnit.SECONDS).get(resource);
      ConfigEntry entry = config == null ? null : config.get(TopicConfig.RETENTION_MS_CONFIG);
      if (entry == null || entry.value() == null) {
        return;
      }
      long topicRetention = Long.parseLong(entry.value());
      boolean isShort = topicRetention < 0 || topicRetention > retention.toMillis();
      metrics.retentionCheck.set(
          isShort ? DedupMetrics.RETENTION_SHORT : DedupMetrics.RETENTION_OK);
      if (isShort) {
        log.warn(
            "{}: dedup retention {} is shorter than topic {}'s retention.ms={} ({}): a replay"
                + " from further back (a reset offset, a new group) would run effects again;"
                + " raise the retention to at least the topic's",
            groupId,
            retention,
            topic,
            topicRetention,
            topicRetention < 0 ? "forever" : Duration.ofMillis(topicRetention));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.info(
          "{}: could not read topic {}'s retention.ms to compare: {}",
          groupId,
          topic,
          e.toString());
    }
  }

  private static void header(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }

  private static Duration nextBackoff(Duration current) {
    Duration next = current.isZero() ? Duration.ofMillis(100) : current.multipliedBy(2);
    return next.compareTo(MAX_STORE_BACKOFF) > 0 ? MAX_STORE_BACKOFF : next;
  }

  /** Waits, unless stopping; false when stopping. */
  private boolean pause(Duration d) {
    try {
      return !stopped.await(d.toMillis(), TimeUnit.MILLISECONDS) && running;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static <T> T timed(io.micrometer.core.instrument.Timer timer, Supplier<T> call) {
    long start = System.nanoTime();
    try {
      return call.get();
    } finally {
      timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }
}
