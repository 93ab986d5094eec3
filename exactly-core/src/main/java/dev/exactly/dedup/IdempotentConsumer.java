package dev.exactly.dedup;

import dev.exactly.Component;
import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.FaultInjection;
import dev.exactly.NonRetriableException;
import dev.exactly.Ordering;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.Lifecycle;
import dev.exactly.internal.StartCheck;
import dev.exactly.internal.StartPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import org.apache.kafka.common.serialization.Deserializer;

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
 *   <li>while handlers run, renew the leases of the keys this instance holds, every third of the
 *       {@link Builder#lease lease}, in one store call, so a slow handler keeps its key; a key
 *       found taken over (its lease ran out while renewals failed) is not completed here;
 *   <li>mark the handled keys done in one store call;
 *   <li>only then commit the offsets ({@code enable.auto.commit=false} is enforced).
 * </ol>
 *
 * <p><b>The guarantee, and its one window.</b> A key's effect runs once per retention period,
 * across crashes, redeliveries and rebalances, except in one case: the process dies after the
 * effect happened and before the store marked it done. After the lease expires another attempt runs
 * the effect again. Relay {@link IdempotentRecord#idempotencyKey()} downstream ({@link
 * IdempotencyKey}) and a downstream that honours it closes that window too. An effect written to
 * the store's own database closes it with {@link Builder#transactionalHandler}: effect and
 * completion commit in one transaction, one record at a time.
 *
 * <p><b>Failures.</b> A handler that throws an {@link Exception} is retried by the {@link
 * RetryPolicy}; a {@link NonRetriableException} (or a Kafka {@code SerializationException}, or a
 * type given to {@link Builder#nonRetriable}) anywhere in its cause chain, or the last failed
 * attempt, sends the record to the dead-letter topic with every {@link
 * dev.exactly.DeadLetterHeaders} header, its claim is released, and its offset is committed only
 * after the dead-letter write succeeded. A record that cannot be deserialized or has no dedup key
 * goes there too; none blocks its partition. When the store cannot be reached, the batch is not
 * processed at all and is polled again after a backoff. Anything else (an {@link Error} from the
 * handler, a store failing other than with {@link DedupStoreException}) stops the consumer: it
 * becomes {@link ComponentState#FAILED} and {@link #failure()} says why.
 *
 * <p><b>Lifecycle.</b> {@code CREATED -> STARTING} ({@link #start()}) {@code -> RUNNING} (the Kafka
 * clients are up) {@code -> CLOSING} ({@link #close(Duration)}) {@code -> CLOSED}, or {@code
 * FAILED} from any started state.
 *
 * <p><b>Threads.</b> One consumer thread runs the handler, in partition order; the methods here are
 * thread-safe. The store and the meter registry belong to the caller, who closes them after this
 * consumer.
 */
public final class IdempotentConsumer implements Component {
  /** The lease a claim is given and renewed by, unless {@link Builder#lease} says otherwise. */
  static final Duration DEFAULT_LEASE = Duration.ofSeconds(10);

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

  /**
   * An effect that is writes to the dedup store's own database: it runs in the transaction that
   * marks its key done, on that transaction's connection, so both commit or neither does. Needs a
   * {@link TransactionalDedupStore}; each record is its own transaction.
   */
  @FunctionalInterface
  public interface TransactionalHandler<K, V> {
    /**
     * Writes the effect on {@code connection}; does not commit, roll back or close it. An exception
     * rolls the writes back and is retried, then dead-lettered, as with {@link Handler}.
     */
    void handle(IdempotentRecord<K, V> record, Connection connection) throws Exception;
  }

  /** Told about each skipped duplicate, with the result its first run stored. */
  @FunctionalInterface
  public interface DuplicateListener<K, V> {
    void onDuplicate(IdempotentRecord<K, V> record, Optional<StoredResult> result);
  }

  private final Lifecycle lifecycle;
  private final IdempotentEngine<?, ?> engine;
  private final String name;
  private final ConsumerSettings<?, ?> settings;

  private IdempotentConsumer(ConsumerSettings<?, ?> settings) {
    this.name = settings.name();
    this.settings = settings;
    this.lifecycle = new Lifecycle("idempotent consumer " + name);
    this.engine = new IdempotentEngine<>(settings, lifecycle);
  }

  public static Builder<byte[], byte[]> builder(Map<String, ?> kafkaProperties) {
    return new Builder<>(kafkaProperties);
  }

  /**
   * Checks, within {@link Builder#startTimeout startTimeout}, that the cluster answers, that the
   * input topic exists and that the dead-letter topic exists (or creates it), then starts the
   * consumer thread and returns; the consumer is {@code STARTING} until its Kafka clients are up,
   * then {@code RUNNING}.
   *
   * @throws IllegalStateException unless the consumer is {@code CREATED}, naming its state
   * @throws dev.exactly.ConfigurationException naming the setting and the fix when the cluster does
   *     not answer or a topic is missing; the consumer is then FAILED with it as its {@link
   *     #failure()}
   */
  public IdempotentConsumer start() {
    lifecycle.moveFrom(ComponentState.CREATED, ComponentState.STARTING);
    new StartCheck(
            "idempotent consumer " + name, "dedup", settings.userProperties(), settings.start())
        .runOrFail(
            lifecycle,
            "dedup.input",
            List.of(settings.topic()),
            Map.of(settings.deadLetterTopic(), List.of(settings.topic())));
    Thread thread = new Thread(engine::run, "exactly-idempotent-consumer-" + name);
    thread.start();
    return this;
  }

  @Override
  public ComponentState state() {
    return lifecycle.state();
  }

  /**
   * The dedup store this consumer was built with, so a health check can {@link DedupStore#ping
   * ping} the store the consumer really uses (a builder customization may have replaced the one
   * first given). Still the caller's: closing it is not this consumer's job.
   */
  public DedupStore store() {
    return settings.store();
  }

  /** Why the consumer is {@code FAILED}; empty otherwise. */
  @Override
  public Optional<Throwable> failure() {
    return lifecycle.failure();
  }

  /**
   * Stops polling, lets the batch in hand finish its current step (an effect in progress is not
   * interrupted), and closes the Kafka clients. Keys already completed stay done; offsets not yet
   * committed are polled again by whoever owns the partition next. Idempotent; a {@code FAILED}
   * consumer stays {@code FAILED} (its thread has already released its clients).
   *
   * @return true when the consumer thread ended within {@code timeout}
   */
  @Override
  public boolean close(Duration timeout) {
    if (lifecycle.is(ComponentState.CREATED) && lifecycle.tryMoveTo(ComponentState.CLOSED)) {
      lifecycle.terminated();
      return true;
    }
    if (!lifecycle.state().isTerminal()) {
      lifecycle.tryMoveTo(ComponentState.CLOSING);
    }
    engine.wakeup();
    try {
      return lifecycle.awaitTermination(
          timeout.isNegative() || timeout.isZero() ? Duration.ofMillis(1) : timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return lifecycle.awaitTermination(timeout);
  }

  /**
   * Builds an {@link IdempotentConsumer}; every setting is checked in {@link #build()}, which names
   * the setting, the value and the fix. Each setter may be called again: the last value wins.
   */
  public static final class Builder<K, V> {
    final Map<String, ?> kafkaProperties;
    String groupId;
    String instanceId;
    String topic;
    Deserializer<?> keyDeserializer;
    Deserializer<?> valueDeserializer;
    DedupKey dedupKey = DedupKey.topicPartitionOffset();
    String keyNamespace;
    boolean namespaceIdempotencyKey;
    DedupStore store;
    Duration lease = DEFAULT_LEASE;
    Duration retention = Duration.ofDays(7);
    ResultHandler<K, V> handler;
    TransactionalHandler<K, V> transactionalHandler;
    DuplicateListener<K, V> onDuplicate = (r, result) -> {};
    RetryPolicy retry = RetryPolicy.DEFAULT;
    Set<Class<? extends Throwable>> nonRetriable = Set.of();
    String deadLetterTopic;
    MeterRegistry meterRegistry;
    Ticker ticker = Ticker.system();
    FaultInjection faults = FaultInjection.NONE;
    Duration pollTimeout = Duration.ofMillis(200);
    StartPolicy start = StartPolicy.DEFAULT;
    int concurrency = 1;
    Ordering ordering = Ordering.KEY;
    Executor executor;

    private Builder(Map<String, ?> kafkaProperties) {
      this.kafkaProperties = Map.copyOf(Objects.requireNonNull(kafkaProperties, "kafkaProperties"));
    }

    /**
     * The consumer group; required here or as {@code group.id} in the properties. Called twice, the
     * last value wins.
     */
    public Builder<K, V> groupId(String groupId) {
      this.groupId = groupId;
      return this;
    }

    /**
     * This instance's stable name (a pod or host name), for the {@code instance} meter tag, the
     * thread and the client ids; a name given here is also the consumer's static {@code
     * group.instance.id} unless the Kafka properties name one, so a restarted instance takes its
     * partitions back at once. Two instances of one group must not share it. Default: the {@code
     * group.instance.id} property when set, else this host's name (then without static membership).
     * Called twice, the last value wins.
     */
    public Builder<K, V> instanceId(String instanceId) {
      this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
      return this;
    }

    /**
     * The input topic and how to read its records; resets the handler and the duplicate listener,
     * which are typed by these deserializers. Called twice, the last value wins.
     */
    @SuppressWarnings("unchecked")
    public <K2, V2> Builder<K2, V2> input(
        String topic, Deserializer<K2> keyDeserializer, Deserializer<V2> valueDeserializer) {
      this.topic = topic;
      this.keyDeserializer = Objects.requireNonNull(keyDeserializer, "keyDeserializer");
      this.valueDeserializer = Objects.requireNonNull(valueDeserializer, "valueDeserializer");
      this.handler = null;
      this.transactionalHandler = null;
      this.onDuplicate = (r, result) -> {};
      return (Builder<K2, V2>) this;
    }

    /**
     * How a record's dedup key is found; default {@link DedupKey#topicPartitionOffset()}. Called
     * twice, the last value wins.
     */
    public Builder<K, V> dedupKey(DedupKey dedupKey) {
      this.dedupKey = Objects.requireNonNull(dedupKey, "dedupKey");
      return this;
    }

    /**
     * Put before every dedup key in the store, so two groups acting on the same keys (one charges,
     * one e-mails) do not skip each other's work; default the group id. Called twice, the last
     * value wins.
     */
    public Builder<K, V> keyNamespace(String keyNamespace) {
      this.keyNamespace = keyNamespace;
      return this;
    }

    /**
     * Whether {@link IdempotencyKey#relay} sends the namespaced dedup key ({@code
     * <namespace>:<key>}) instead of the business key (default false). Set it when several consumer
     * groups call one downstream with the same business keys for different effects, so the
     * downstream does not take one group's call for a repeat of another's. Called twice, the last
     * value wins.
     */
    public Builder<K, V> namespaceIdempotencyKey(boolean namespaced) {
      this.namespaceIdempotencyKey = namespaced;
      return this;
    }

    /** The dedup store; required. Called twice, the last value wins. */
    public Builder<K, V> store(DedupStore store) {
      this.store = store;
      return this;
    }

    /**
     * How long a claim stays exclusive without a renewal. While a handler runs (with its retries
     * and backoffs) the consumer renews the leases of the keys it holds every third of the lease,
     * in one store call, so a handler may run longer than the lease. The lease only bounds how long
     * the keys of an instance that died stay blocked: another instance takes them over about one
     * lease after the last renewal. Renewals stop when a batch outruns {@code
     * max.poll.interval.ms}, as Kafka then moves its partitions on. Keep the lease well above the
     * store's slowest round trip; at least 1 s, default 10 s. Called twice, the last value wins.
     */
    public Builder<K, V> lease(Duration lease) {
      this.lease = lease;
      return this;
    }

    /**
     * How long a done key is remembered: longer than any replay of the input may reach back.
     * Default 7 days. Called twice, the last value wins.
     */
    public Builder<K, V> retention(Duration retention) {
      this.retention = retention;
      return this;
    }

    /**
     * The effect; this, {@link #resultHandler} or {@link #transactionalHandler} is required. Of the
     * three, the last one called wins.
     */
    public Builder<K, V> handler(Handler<K, V> handler) {
      Objects.requireNonNull(handler, "handler");
      this.handler =
          r -> {
            handler.handle(r);
            return null;
          };
      this.transactionalHandler = null;
      return this;
    }

    /** An effect with a result to store. Of the three handler setters, the last one called wins. */
    public Builder<K, V> resultHandler(ResultHandler<K, V> handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      this.transactionalHandler = null;
      return this;
    }

    /**
     * An effect written to the store's own database, committed in one transaction with its key's
     * completion, one record at a time: a crash can no longer repeat it. {@link #build()} refuses
     * it unless the store is a {@link TransactionalDedupStore}. Of the three handler setters, the
     * last one called wins.
     */
    public Builder<K, V> transactionalHandler(TransactionalHandler<K, V> handler) {
      this.transactionalHandler = Objects.requireNonNull(handler, "handler");
      this.handler = null;
      return this;
    }

    /** Told about each skipped duplicate. Called twice, the last value wins. */
    public Builder<K, V> onDuplicate(DuplicateListener<K, V> listener) {
      this.onDuplicate = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * How a failing handler is retried; default {@link RetryPolicy#DEFAULT}. Called twice, the last
     * value wins.
     */
    public Builder<K, V> retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /**
     * Exception types (and their subtypes) that send the record to the dead-letter topic without a
     * retry when found anywhere in the handler's failure's cause chain, besides {@link
     * NonRetriableException} and Kafka's {@code SerializationException}, which always do. Called
     * twice, the last value wins.
     */
    @SafeVarargs
    public final Builder<K, V> nonRetriable(Class<? extends Throwable>... types) {
      Set<Class<? extends Throwable>> set = new LinkedHashSet<>();
      for (Class<? extends Throwable> t : types) {
        set.add(Objects.requireNonNull(t, "nonRetriable type"));
      }
      this.nonRetriable = Set.copyOf(set);
      return this;
    }

    /**
     * Where failed records go; default the input topic's name plus {@code .dlt}. Called twice, the
     * last value wins.
     */
    public Builder<K, V> deadLetterTopic(String deadLetterTopic) {
      this.deadLetterTopic = deadLetterTopic;
      return this;
    }

    /**
     * How many handlers may run at once; default 1 (one record at a time, on the consumer's
     * thread). Above 1, after each poll's claims (still one store round trip) the handlers of
     * different keys run concurrently (see {@link #ordering}) while the consumer keeps polling, so
     * a slow or hung handler holds only its key's later records; the records held unfinished are
     * bounded (about two polls' worth) by pausing the partitions. Each key is marked done within a
     * few milliseconds of its effect, and a partition's offset is committed only up to its lowest
     * record not yet done. The handler and the duplicate listener must then be thread-safe. Checked
     * at build. A second call replaces the first.
     */
    public Builder<K, V> concurrency(int concurrency) {
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Which records keep their order when {@link #concurrency} is above 1; default {@link
     * Ordering#KEY}: one key's records run one after the other, in offset order. A second call
     * replaces the first.
     */
    public Builder<K, V> ordering(Ordering ordering) {
      this.ordering = ordering;
      return this;
    }

    /**
     * Where handlers run when {@link #concurrency} is above 1; default a pool of {@code
     * concurrency} threads the consumer owns and shuts down on close. Java 21 users may pass {@code
     * Executors.newVirtualThreadPerTaskExecutor()}; the consumer never shuts a given executor down.
     * At most {@code concurrency} tasks run on it at once. A second call replaces the first.
     */
    public Builder<K, V> executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Where the meters go; default a private registry nobody reads (never Micrometer's global one).
     * Called twice, the last value wins.
     */
    public Builder<K, V> meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    /**
     * The time for lease waits, retry and store backoff; default {@link Ticker#system()}. Tests
     * pass a fake clock. The stores keep their own time. Called twice, the last value wins.
     */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Fault injection for crash tests, at the {@code CONSUMER_*} {@link dev.exactly.FaultPoint}s;
     * default {@link FaultInjection#NONE}. A runtime exception thrown at {@code
     * CONSUMER_AFTER_EFFECT} counts as a failure of the handler; at the other points it stops the
     * consumer (FAILED). Called twice, the last value wins.
     */
    public Builder<K, V> faults(FaultInjection faults) {
      this.faults = Objects.requireNonNull(faults, "faults");
      return this;
    }

    /**
     * How long {@code start()} waits for the cluster to answer its checks; default 30 s. Called
     * twice, the last value wins.
     *
     * @throws ConfigurationException if not positive
     */
    public Builder<K, V> startTimeout(Duration timeout) {
      this.start = start.withTimeout("dedup.startTimeout", timeout);
      return this;
    }

    /**
     * Whether {@code start()} refuses an input topic that does not exist, naming the closest
     * existing names; default true, and the consumer then never auto-creates it ({@code
     * allow.auto.create.topics=false}). False starts anyway and waits for the topic. Called twice,
     * the last value wins.
     */
    public Builder<K, V> requireExistingTopics(boolean require) {
      this.start = start.withRequireExistingTopics(require);
      return this;
    }

    /**
     * Whether {@code start()} creates a missing dead-letter topic (as many partitions as the input,
     * replication 3 and {@code min.insync.replicas=2} on three or more brokers); default false: a
     * missing one refuses the start. Called twice, the last value wins.
     */
    public Builder<K, V> createTopics(boolean create) {
      this.start = start.withCreateTopics(create);
      return this;
    }

    /**
     * @throws ConfigurationException naming the setting, the value and the fix
     */
    public IdempotentConsumer build() {
      return new IdempotentConsumer(ConsumerSettings.from(this));
    }
  }
}
