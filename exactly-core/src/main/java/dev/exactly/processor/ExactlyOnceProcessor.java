package dev.exactly.processor;

import dev.exactly.Component;
import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.FaultInjection;
import dev.exactly.NonRetriableException;
import dev.exactly.Ordering;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.StartPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Consumes one topic, transforms each record with a {@link RecordProcessor} and produces its
 * outputs exactly once (Kafka EOS v2): outputs, dead letters and the consumed offsets of a batch
 * commit in one transaction of one transactional producer per consumer.
 *
 * <pre>{@code
 * ExactlyOnceProcessor p = ExactlyOnceProcessor.builder(kafkaProperties)
 *     .groupId("fraud-check")
 *     .instanceId(podName)
 *     .input("payment-events", new StringDeserializer(), new StringDeserializer())
 *     .output(new StringSerializer(), new StringSerializer())
 *     .process((record, out) -> out.send("fraud-results", record.key(), score(record.value())))
 *     .build();
 * p.start();
 * }</pre>
 *
 * <p>Threading: one engine thread per processor runs polls, the function, sends and commits; the
 * methods here are thread-safe. Ordering: outputs of one input partition are sent in offset order,
 * so outputs of one key keep their order when they go to one output partition.
 */
public interface ExactlyOnceProcessor extends Component {

  /**
   * A builder over the user's Kafka client properties (bootstrap servers, security, tuning), which
   * are passed to the consumer and the producer untouched except for the settings the guarantee
   * needs; a contradicting setting fails {@link Builder#build()}.
   */
  static Builder<byte[], byte[], byte[], byte[]> builder(Map<String, ?> kafkaProperties) {
    return new Builder<>(kafkaProperties);
  }

  /**
   * Checks, within {@link Builder#startTimeout startTimeout}, that the cluster answers, that the
   * input topic exists and that the dead-letter topic exists (or creates it), then starts the
   * engine thread and returns. Legal only in state CREATED. The processor is {@code STARTING}
   * during the check, while its producer initializes its transactions and while its consumer waits
   * for its first assignment, then {@code RUNNING}.
   *
   * @throws dev.exactly.ConfigurationException naming the setting and the fix when the cluster does
   *     not answer or a topic is missing; the processor is then FAILED with it as its {@link
   *     #failure()}: fix the cause and build a new one
   */
  void start();

  /**
   * Where the processor is in its life ({@code docs/components.md}): {@code FENCED} when another
   * instance took over its transactional id or its partitions, {@code FAILED} on an error retrying
   * cannot fix (see {@link #failure()}).
   */
  ComponentState state();

  /**
   * Stops: the open batch commits if it can within the timeout, otherwise it aborts (its records
   * will be processed again by the next owner); then the clients close. Idempotent.
   *
   * @return true if the engine stopped within the timeout
   */
  boolean close(Duration timeout);

  /**
   * Settings of one processor, checked together in {@link #build()}. Not thread-safe; a builder
   * builds one processor.
   *
   * @param <K> input key type
   * @param <V> input value type
   * @param <OK> output key type
   * @param <OV> output value type
   */
  final class Builder<K, V, OK, OV> {
    final Map<String, ?> kafkaProperties;
    String groupId;
    String inputTopic;
    Deserializer<?> keyDeserializer = new ByteArrayDeserializer();
    Deserializer<?> valueDeserializer = new ByteArrayDeserializer();
    Serializer<?> keySerializer = new ByteArraySerializer();
    Serializer<?> valueSerializer = new ByteArraySerializer();
    RecordProcessor<?, ?, ?, ?> processor;
    Duration commitInterval = Duration.ofMillis(100);
    int maxBatchRecords = 50_000;
    String deadLetterTopic;
    RetryPolicy retry = RetryPolicy.DEFAULT;
    List<Class<? extends Throwable>> nonRetriable = List.of();
    String instanceId;
    boolean staticMembership = true;
    String transactionalIdPrefix;
    MeterRegistry meterRegistry;
    Ticker ticker = Ticker.system();
    FaultInjection faults = FaultInjection.NONE;
    Guarantee guarantee = Guarantee.EXACTLY_ONCE;
    Duration pollTimeout = Duration.ofMillis(100);
    StartPolicy start = StartPolicy.DEFAULT;
    int concurrency = 1;
    Ordering ordering = Ordering.KEY;
    Executor executor;
    // Tests inject a producer that fails as Kafka can (a forgotten producer id, say).
    Function<Map<String, Object>, Producer<byte[], byte[]>> producerFactory = KafkaProducer::new;

    Builder(Map<String, ?> kafkaProperties) {
      this.kafkaProperties = Map.copyOf(Objects.requireNonNull(kafkaProperties, "kafkaProperties"));
    }

    /**
     * The consumer group; required here or as {@code group.id} in the properties. A second call
     * replaces the first.
     */
    public Builder<K, V, OK, OV> groupId(String groupId) {
      this.groupId = Objects.requireNonNull(groupId, "groupId");
      return this;
    }

    /**
     * The topic to consume and how to read its records. Deserialization runs in the engine, per
     * record: a record that fails goes to the dead-letter topic. Resets the processor function. A
     * second call replaces the first.
     */
    @SuppressWarnings("unchecked")
    public <K2, V2> Builder<K2, V2, OK, OV> input(
        String topic, Deserializer<K2> keyDeserializer, Deserializer<V2> valueDeserializer) {
      this.inputTopic = Objects.requireNonNull(topic, "topic");
      this.keyDeserializer = Objects.requireNonNull(keyDeserializer, "keyDeserializer");
      this.valueDeserializer = Objects.requireNonNull(valueDeserializer, "valueDeserializer");
      this.processor = null;
      return (Builder<K2, V2, OK, OV>) this;
    }

    /**
     * How outputs are written; byte arrays by default. Resets the processor function. A second call
     * replaces the first.
     */
    @SuppressWarnings("unchecked")
    public <OK2, OV2> Builder<K, V, OK2, OV2> output(
        Serializer<OK2> keySerializer, Serializer<OV2> valueSerializer) {
      this.keySerializer = Objects.requireNonNull(keySerializer, "keySerializer");
      this.valueSerializer = Objects.requireNonNull(valueSerializer, "valueSerializer");
      this.processor = null;
      return (Builder<K, V, OK2, OV2>) this;
    }

    /** The transformation; required. A second call replaces the first. */
    public Builder<K, V, OK, OV> process(RecordProcessor<K, V, OK, OV> processor) {
      this.processor = Objects.requireNonNull(processor, "processor");
      return this;
    }

    /**
     * How long a batch stays open before it commits; default 100 ms. Exactly-once, a batch cannot
     * commit before the previous batch's commit has returned; while that runs and records keep
     * coming, the batch goes on growing for up to one more interval.
     */
    public Builder<K, V, OK, OV> commitInterval(Duration interval) {
      this.commitInterval = Objects.requireNonNull(interval, "commitInterval");
      return this;
    }

    /**
     * The most input records in one batch; default 50,000. A batch also ends when 32 MiB of outputs
     * wait for the previous batch's commit. Larger batches make fewer transactions (each costs a
     * few round trips on the producer's connection) but hold more outputs in memory and redo more
     * work after a failure. A second call replaces the first.
     */
    public Builder<K, V, OK, OV> maxBatchRecords(int max) {
      this.maxBatchRecords = max;
      return this;
    }

    /**
     * Where records that cannot be processed go, inside the batch's transaction; default the input
     * topic + {@code .dlt}. A second call replaces the first.
     */
    public Builder<K, V, OK, OV> deadLetterTopic(String topic) {
      this.deadLetterTopic = Objects.requireNonNull(topic, "deadLetterTopic");
      return this;
    }

    /**
     * How transient failures of the function are retried: in place, inside the batch's open
     * transaction, the backoff waited on the {@link #ticker(Ticker) ticker}; default {@link
     * RetryPolicy#DEFAULT}. A record's backoffs hold its batch's transaction open, so their sum
     * must stay well below {@code transaction.timeout.ms}. A second call replaces the first.
     */
    public Builder<K, V, OK, OV> retry(RetryPolicy policy) {
      this.retry = Objects.requireNonNull(policy, "retry");
      return this;
    }

    /**
     * Exception types (and their subtypes) that send the record to the dead-letter topic at once,
     * without retry, besides {@link NonRetriableException} and Kafka's {@code
     * SerializationException}, which always do. Found anywhere in the cause chain, so wrapping one
     * in another exception changes nothing. A second call replaces the types of the first; none by
     * default.
     */
    @SafeVarargs
    public final Builder<K, V, OK, OV> nonRetriable(Class<? extends Throwable>... types) {
      Objects.requireNonNull(types, "nonRetriable");
      List<Class<? extends Throwable>> given = new ArrayList<>(types.length);
      for (Class<? extends Throwable> t : types) {
        given.add(Objects.requireNonNull(t, "nonRetriable type"));
      }
      this.nonRetriable = List.copyOf(given);
      return this;
    }

    /**
     * This instance's stable name (a pod name, a host name): the transactional.id is the prefix
     * plus this id, so a restarted instance fences its own zombie; also the consumer's static
     * {@code group.instance.id} unless the Kafka properties set one, so a restart takes its
     * partitions back without waiting out a session (see {@link #staticMembership}), and the {@code
     * instance} tag of the meters. Required for exactly-once. A second call replaces the first.
     */
    public Builder<K, V, OK, OV> instanceId(String instanceId) {
      this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
      return this;
    }

    /**
     * Whether the {@link #instanceId} is the consumer's static {@code group.instance.id} when the
     * Kafka properties name none; default true. False makes a dynamic member: every start and stop
     * rebalances the group, which instances that come and go (autoscaling) may want.
     */
    public Builder<K, V, OK, OV> staticMembership(boolean staticMembership) {
      this.staticMembership = staticMembership;
      return this;
    }

    /**
     * How many records the function may work on at once; default 1 (one at a time, on the engine
     * thread). Above 1 the function runs on worker threads, several keys at once (see {@link
     * #ordering}), for a slow function such as a remote call: each poll's records are computed
     * concurrently, their outputs then go into the transaction in input-offset order per partition,
     * and the batch commits only when every record in it is done (processed or dead-lettered). A
     * record waiting out a retry's backoff holds up only its own key. The function, the
     * deserializers and the serializers must then be safe to call from several threads. A second
     * call replaces the first.
     */
    public Builder<K, V, OK, OV> concurrency(int concurrency) {
      if (concurrency < 1) {
        throw new ConfigurationException(
            "processor.concurrency",
            concurrency,
            "must be at least 1; 1 runs one record at a time");
      }
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Which records keep their order when {@link #concurrency} is above 1; default {@link
     * Ordering#KEY}: one key's records run one after the other, in offset order. A second call
     * replaces the first.
     */
    public Builder<K, V, OK, OV> ordering(Ordering ordering) {
      this.ordering = Objects.requireNonNull(ordering, "ordering");
      return this;
    }

    /**
     * Where the function runs when {@link #concurrency} is above 1; default a pool of {@code
     * concurrency} threads the processor owns. Java 21 users may pass {@code
     * Executors.newVirtualThreadPerTaskExecutor()}; the processor never shuts a given executor
     * down. At most {@code concurrency} tasks run on it at once. A second call replaces the first.
     */
    public Builder<K, V, OK, OV> executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** The transactional.id prefix; default the group id. A second call replaces the first. */
    public Builder<K, V, OK, OV> transactionalIdPrefix(String prefix) {
      this.transactionalIdPrefix = Objects.requireNonNull(prefix, "transactionalIdPrefix");
      return this;
    }

    /**
     * Where the meters go ({@code docs/metrics.md}); default a private {@code SimpleMeterRegistry},
     * never the global one. A second call replaces the first.
     */
    public Builder<K, V, OK, OV> meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * The time the engine reads and waits on: the commit interval, retry backoff, the close
     * deadline, dead letters' timestamps. Default {@link Ticker#system()}; tests pass the testkit's
     * {@code FakeClock}. A second call replaces the first.
     */
    public Builder<K, V, OK, OV> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Fault injection for crash tests, called at each {@code FaultPoint.PROCESSOR_*}; default
     * {@link FaultInjection#NONE}. A second call replaces the first.
     */
    public Builder<K, V, OK, OV> faults(FaultInjection faults) {
      this.faults = Objects.requireNonNull(faults, "faults");
      return this;
    }

    /**
     * How long {@code start()} waits for the cluster to answer its checks; default 30 s. A second
     * call replaces the first.
     *
     * @throws ConfigurationException if not positive
     */
    public Builder<K, V, OK, OV> startTimeout(Duration timeout) {
      this.start = start.withTimeout("processor.startTimeout", timeout);
      return this;
    }

    /**
     * Whether {@code start()} refuses an input topic that does not exist, naming the closest
     * existing names; default true, and the consumer then never auto-creates it ({@code
     * allow.auto.create.topics=false}). False starts anyway and waits for the topic. A second call
     * replaces the first.
     */
    public Builder<K, V, OK, OV> requireExistingTopics(boolean require) {
      this.start = start.withRequireExistingTopics(require);
      return this;
    }

    /**
     * Whether {@code start()} creates a missing dead-letter topic (as many partitions as the input,
     * replication 3 and {@code min.insync.replicas=2} on three or more brokers); default false: a
     * missing one refuses the start. A second call replaces the first.
     */
    public Builder<K, V, OK, OV> createTopics(boolean create) {
      this.start = start.withCreateTopics(create);
      return this;
    }

    /** For tests: how the engine makes its producer, each time it needs a new one. */
    Builder<K, V, OK, OV> producerFactory(
        Function<Map<String, Object>, Producer<byte[], byte[]>> factory) {
      this.producerFactory = Objects.requireNonNull(factory, "producerFactory");
      return this;
    }

    /** Default {@link Guarantee#EXACTLY_ONCE}. A second call replaces the first. */
    public Builder<K, V, OK, OV> guarantee(Guarantee guarantee) {
      this.guarantee = Objects.requireNonNull(guarantee, "guarantee");
      return this;
    }

    /**
     * Checks every setting and builds a processor in state CREATED.
     *
     * @throws ConfigurationException naming the key, the value and the fix
     */
    public ExactlyOnceProcessor build() {
      if (inputTopic == null) {
        throw new ConfigurationException(
            "processor.input", null, "is required; call input(topic, keyDeser, valueDeser)");
      }
      if (processor == null) {
        throw new ConfigurationException(
            "processor.process", null, "is required; call process(...) after input and output");
      }
      if (commitInterval.isNegative() || commitInterval.isZero()) {
        throw new ConfigurationException(
            "processor.commitInterval", commitInterval, "must be positive, e.g. 100 ms");
      }
      if (maxBatchRecords < 1) {
        throw new ConfigurationException(
            "processor.maxBatchRecords", maxBatchRecords, "must be at least 1");
      }
      if (guarantee == Guarantee.EXACTLY_ONCE && (instanceId == null || instanceId.isBlank())) {
        throw new ConfigurationException(
            "processor.instanceId",
            instanceId,
            "is required for exactly-once: a stable id per instance (a pod or host name) lets a"
                + " restarted instance fence its zombie; call instanceId(...)");
      }
      return new ProcessorEngine<>(ProcessorSettings.from(this), meterRegistry);
    }
  }
}
