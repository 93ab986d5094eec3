package dev.exactly.dedup;

import dev.exactly.ConfigurationException;
import dev.exactly.RetryPolicy;
import dev.exactly.internal.KafkaSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a side effect (charge a card, send an e-mail, call an API) once per dedup key for the
 * records of a Kafka topic, with a {@link DedupStore} and a strict order of steps per poll batch:
 *
 * <ol>
 *   <li>compute each record's dedup key and claim the whole batch in one store call;
 *   <li>run the handler only for keys this instance {@link Claim.Claimed claimed}; skip keys
 *       already {@link Claim.Done done} (counted); a key {@link Claim.InFlight in flight} at
 *       another instance pauses its partition until that lease ends, so one key's effect never runs
 *       twice at once;
 *   <li>mark the handled keys done in one store call;
 *   <li>only then commit the offsets ({@code enable.auto.commit=false} is enforced).
 * </ol>
 *
 * <p><b>The guarantee, and its one window.</b> A key's effect runs once per retention period,
 * across crashes, redeliveries and rebalances, except in one case: the process dies after the
 * effect happened and before the store marked it done. After the lease expires another attempt runs
 * the effect again. Relay {@link IdempotentRecord#dedupKey()} downstream ({@link IdempotencyKey})
 * and a downstream that honours it closes that window too.
 *
 * <p><b>Failures.</b> A handler that throws is retried by the {@link RetryPolicy}; a {@link
 * dev.exactly.NonRetriableException} or the last failed attempt sends the record to the dead-letter
 * topic with {@link dev.exactly.DeadLetterHeaders}, its claim is released, and its offset is
 * committed only after the dead-letter write succeeded. A record that cannot be deserialized or has
 * no dedup key goes there too; none blocks its partition. When the store cannot be reached, the
 * batch is not processed at all and is polled again after a backoff.
 *
 * <p><b>Threads.</b> One consumer thread runs the handler, in partition order. The store and the
 * meter registry belong to the caller, who closes them after this consumer.
 */
public final class IdempotentConsumer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IdempotentConsumer.class);

  /** The lifecycle, with its legal transitions in one place. */
  public enum State {
    CREATED,
    RUNNING,
    CLOSING,
    CLOSED,
    /** The consumer thread stopped on an unexpected error; see the log. */
    FAILED;

    boolean canMoveTo(State next) {
      return switch (this) {
        case CREATED -> next == RUNNING || next == CLOSED;
        case RUNNING -> next == CLOSING || next == FAILED;
        case CLOSING -> next == CLOSED || next == FAILED;
        case CLOSED, FAILED -> false;
      };
    }
  }

  /** The effect for one record; its exceptions are retried, then dead-lettered. */
  @FunctionalInterface
  public interface Handler<K, V> {
    void handle(IdempotentRecord<K, V> record) throws Exception;
  }

  /** An effect that returns a small result, stored with the key for duplicates to read. */
  @FunctionalInterface
  public interface ResultHandler<K, V> {
    /**
     * @return the result to store, or null for none
     */
    StoredResult handle(IdempotentRecord<K, V> record) throws Exception;
  }

  /** Told about each skipped duplicate, with the result its first run stored. */
  @FunctionalInterface
  public interface DuplicateListener<K, V> {
    void onDuplicate(IdempotentRecord<K, V> record, java.util.Optional<StoredResult> result);
  }

  private final AtomicReference<State> state = new AtomicReference<>(State.CREATED);
  private final IdempotentEngine<?, ?> engine;
  private Thread thread;

  private IdempotentConsumer(IdempotentEngine<?, ?> engine) {
    this.engine = engine;
  }

  public static Builder<byte[], byte[]> builder(Map<String, ?> kafkaProperties) {
    return new Builder<>(kafkaProperties);
  }

  /**
   * Starts the consumer thread; returns at once.
   *
   * @throws IllegalStateException when already started or closed
   */
  public IdempotentConsumer start() {
    move(State.CREATED, State.RUNNING);
    thread = new Thread(this::runEngine, "exactly-dedup-" + engine.groupId());
    thread.start();
    return this;
  }

  private void runEngine() {
    try {
      engine.run();
    } catch (Throwable t) {
      log.error("idempotent consumer {} stopped on an unexpected error", engine.groupId(), t);
      State s = state.get();
      if (s.canMoveTo(State.FAILED)) {
        state.compareAndSet(s, State.FAILED);
      }
      if (t instanceof Error e) {
        throw e;
      }
    }
  }

  public State state() {
    return state.get();
  }

  /**
   * Stops polling, lets the batch in hand finish its current step (an effect in progress is not
   * interrupted), and closes the Kafka clients. Keys already completed stay done; offsets not yet
   * committed are polled again by whoever owns the partition next.
   *
   * @return true when the consumer thread ended within {@code timeout}
   */
  public boolean close(Duration timeout) {
    State s = state.get();
    if (s == State.CREATED) {
      move(State.CREATED, State.CLOSED);
      return true;
    }
    if (s == State.RUNNING) {
      state.compareAndSet(State.RUNNING, State.CLOSING);
    }
    engine.stop();
    try {
      thread.join(Math.max(1, timeout.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boolean ended = !thread.isAlive();
    if (ended) {
      state.compareAndSet(State.CLOSING, State.CLOSED);
    } else {
      log.warn("idempotent consumer {} still running {} after close", engine.groupId(), timeout);
    }
    return ended;
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  private void move(State from, State to) {
    if (!from.canMoveTo(to) || !state.compareAndSet(from, to)) {
      throw new IllegalStateException(
          "idempotent consumer " + engine.groupId() + " is " + state.get() + ", cannot go " + to);
    }
  }

  /**
   * Builds an {@link IdempotentConsumer}; every setting is checked in {@link #build()}, which names
   * the setting, the value and the fix.
   */
  public static final class Builder<K, V> {
    final Map<String, ?> kafkaProperties;
    String groupId;
    String topic;
    Deserializer<?> keyDeserializer;
    Deserializer<?> valueDeserializer;
    DedupKey dedupKey = DedupKey.topicPartitionOffset();
    String keyNamespace;
    DedupStore store;
    Duration lease = Duration.ofSeconds(60);
    Duration retention = Duration.ofDays(7);
    ResultHandler<K, V> handler;
    DuplicateListener<K, V> onDuplicate = (r, result) -> {};
    RetryPolicy retry = RetryPolicy.DEFAULT;
    String deadLetterTopic;
    MeterRegistry meterRegistry = Metrics.globalRegistry;
    ConsumerProbe probe = ConsumerProbe.NONE;
    Duration pollTimeout = Duration.ofMillis(200);

    private Builder(Map<String, ?> kafkaProperties) {
      this.kafkaProperties = Map.copyOf(Objects.requireNonNull(kafkaProperties, "kafkaProperties"));
    }

    /** The consumer group; required here or as {@code group.id} in the properties. */
    public Builder<K, V> groupId(String groupId) {
      this.groupId = groupId;
      return this;
    }

    /** The input topic and how to read its records. */
    @SuppressWarnings("unchecked")
    public <K2, V2> Builder<K2, V2> input(
        String topic, Deserializer<K2> keyDeserializer, Deserializer<V2> valueDeserializer) {
      this.topic = topic;
      this.keyDeserializer = Objects.requireNonNull(keyDeserializer, "keyDeserializer");
      this.valueDeserializer = Objects.requireNonNull(valueDeserializer, "valueDeserializer");
      this.handler = null;
      this.onDuplicate = (r, result) -> {};
      return (Builder<K2, V2>) this;
    }

    /** How a record's dedup key is found; default {@link DedupKey#topicPartitionOffset()}. */
    public Builder<K, V> dedupKey(DedupKey dedupKey) {
      this.dedupKey = Objects.requireNonNull(dedupKey, "dedupKey");
      return this;
    }

    /**
     * Put before every dedup key in the store, so two groups acting on the same keys (one charges,
     * one e-mails) do not skip each other's work; default the group id.
     */
    public Builder<K, V> keyNamespace(String keyNamespace) {
      this.keyNamespace = keyNamespace;
      return this;
    }

    public Builder<K, V> store(DedupStore store) {
      this.store = store;
      return this;
    }

    /** How long a claim is exclusive: longer than the handler's slowest run with its retries. */
    public Builder<K, V> lease(Duration lease) {
      this.lease = lease;
      return this;
    }

    /** How long a done key is remembered: longer than any replay of the input may reach back. */
    public Builder<K, V> retention(Duration retention) {
      this.retention = retention;
      return this;
    }

    public Builder<K, V> handler(Handler<K, V> handler) {
      Objects.requireNonNull(handler, "handler");
      this.handler =
          r -> {
            handler.handle(r);
            return null;
          };
      return this;
    }

    public Builder<K, V> resultHandler(ResultHandler<K, V> handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    public Builder<K, V> onDuplicate(DuplicateListener<K, V> listener) {
      this.onDuplicate = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public Builder<K, V> retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /** Where failed records go; default the input topic's name plus {@code .dlt}. */
    public Builder<K, V> deadLetterTopic(String deadLetterTopic) {
      this.deadLetterTopic = deadLetterTopic;
      return this;
    }

    public Builder<K, V> meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    /** Hooks at the named points of each batch, for fault injection in tests. */
    public Builder<K, V> probe(ConsumerProbe probe) {
      this.probe = Objects.requireNonNull(probe, "probe");
      return this;
    }

    /**
     * @throws ConfigurationException naming the setting, the value and the fix
     */
    public IdempotentConsumer build() {
      Object propertyGroup = kafkaProperties.get(ConsumerConfig.GROUP_ID_CONFIG);
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
      if (topic == null || topic.isBlank()) {
        throw new ConfigurationException(
            "dedup.input",
            topic,
            "is required: call input(topic, keyDeserializer, valueDeserializer)");
      }
      if (store == null) {
        throw new ConfigurationException(
            "dedup.store", null, "is required: pass a DedupStore (JDBC, Redis, or in-memory)");
      }
      if (handler == null) {
        throw new ConfigurationException(
            "dedup.handler",
            null,
            "is required: call handler(..) or resultHandler(..) after input(..)");
      }
      positive("dedup.lease", lease);
      positive("dedup.retention", retention);
      if (retention.compareTo(lease) <= 0) {
        throw new ConfigurationException(
            "dedup.retention",
            retention,
            "is not longer than dedup.lease " + lease + "; a done key must outlive its claim");
      }
      Duration backoffs = Duration.ZERO;
      for (int attempt = 1; retry.canRetryAfter(attempt); attempt++) {
        backoffs = backoffs.plus(retry.backoffAfter(attempt));
      }
      if (backoffs.compareTo(lease) >= 0) {
        throw new ConfigurationException(
            "dedup.lease",
            lease,
            "is shorter than the retry policy's waits ("
                + backoffs
                + " in all), so another instance could take a key over while this one still"
                + " retries it; raise the lease or shorten the retries");
      }
      String namespace = keyNamespace == null ? groupId : keyNamespace;
      if (namespace.isEmpty() || namespace.length() > 128) {
        throw new ConfigurationException(
            "dedup.keyNamespace", namespace, "must have 1..128 characters");
      }
      String dlt = deadLetterTopic == null ? topic + ".dlt" : deadLetterTopic;
      if (dlt.equals(topic)) {
        throw new ConfigurationException(
            "dedup.deadLetterTopic", dlt, "is the input topic; name another topic");
      }
      KafkaSettings consumer =
          new KafkaSettings(kafkaProperties, "the idempotent consumer")
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
      @SuppressWarnings("unchecked")
      IdempotentEngine<K, V> engine =
          new IdempotentEngine<>(
              this,
              consumer.toMap(),
              namespace,
              dlt,
              (Deserializer<K>) keyDeserializer,
              (Deserializer<V>) valueDeserializer);
      return new IdempotentConsumer(engine);
    }

    private static void positive(String key, Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new ConfigurationException(key, d, "must be a positive duration");
      }
    }
  }
}
