package dev.exactly.jdbc.sink;

import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.FaultInjection;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.KafkaSettings;
import dev.exactly.internal.StartPolicy;
import dev.exactly.jdbc.internal.Dialect;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Settings of a {@link DbSink}. Setters only record values; {@link #build()} checks them all and
 * fails naming the setting, the value and the fix. Not thread-safe; use one builder per sink.
 *
 * <p>Essentials: {@link #kafkaProperties}, {@link #groupId}, {@link #topics}, {@link
 * #deserializers}, {@link #dataSource} or {@link #jdbcUrl}, {@link #handler}. Everything else has a
 * default.
 */
public final class DbSinkBuilder<K, V> {
  static final String DEFAULT_OFFSET_TABLE = "exactly_sink_offsets";

  private final Map<String, Object> kafkaProperties = new LinkedHashMap<>();
  private String groupId;
  private final List<String> topics = new ArrayList<>();
  private Deserializer<K> keyDeserializer;
  private Deserializer<V> valueDeserializer;
  private DataSource dataSource;
  private String jdbcUrl;
  private String offsetTable = DEFAULT_OFFSET_TABLE;
  private boolean createOffsetTable = true;
  private BatchHandler<K, V> handler;
  private int maxBatchRecords = 500;
  private long maxBatchBytes = 4L * 1024 * 1024;
  private String deadLetterTopic;
  private RetryPolicy retry = RetryPolicy.DEFAULT;
  private Duration pollTimeout = Duration.ofMillis(500);
  private MeterRegistry meterRegistry;
  private FaultInjection faults = FaultInjection.NONE;
  private Ticker ticker = Ticker.system();
  private String instanceId = "db-sink";
  private Duration lockWait = SinkEngine.LOCK_WAIT;
  private StartPolicy start = StartPolicy.DEFAULT;

  DbSinkBuilder() {}

  /**
   * Kafka consumer properties, passed through untouched (SSL, SASL, timeouts) except for the ones
   * the guarantee needs: {@code enable.auto.commit=false} and {@code
   * isolation.level=read_committed} are set, and refused when given otherwise. The same properties,
   * minus consumer-only ones, configure the dead-letter producer. Called twice, the maps are
   * merged: for a key given twice, the last value wins.
   */
  public DbSinkBuilder<K, V> kafkaProperties(Map<String, ?> properties) {
    kafkaProperties.putAll(Objects.requireNonNull(properties, "kafkaProperties"));
    return this;
  }

  /**
   * The consumer group; also the key of this sink's rows in the offset table. Called twice, the
   * last value wins.
   */
  public DbSinkBuilder<K, V> groupId(String groupId) {
    this.groupId = groupId;
    return this;
  }

  /**
   * The topics to read (at least one). Called twice, the last value wins: the second call's topics
   * replace the first's.
   */
  public DbSinkBuilder<K, V> topics(String... names) {
    topics.clear();
    topics.addAll(Arrays.asList(names));
    return this;
  }

  /**
   * How to turn record bytes into keys and values; a record that fails goes to the dead-letter
   * topic. Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> deserializers(Deserializer<K> key, Deserializer<V> value) {
    this.keyDeserializer = key;
    this.valueDeserializer = value;
    return this;
  }

  /**
   * The database; the sink borrows one connection per batch and never closes the data source.
   * Exclusive with {@link #jdbcUrl}. Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> dataSource(DataSource dataSource) {
    this.dataSource = dataSource;
    return this;
  }

  /**
   * The database as a JDBC URL, for which the sink builds and owns a small HikariCP pool (HikariCP
   * must be on the class path). Exclusive with {@link #dataSource}. Called twice, the last value
   * wins.
   */
  public DbSinkBuilder<K, V> jdbcUrl(String url) {
    this.jdbcUrl = url;
    return this;
  }

  /**
   * The offset table (default {@code exactly_sink_offsets}), a plain SQL identifier, optionally
   * schema-qualified. Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> offsetTable(String table) {
    this.offsetTable = table;
    return this;
  }

  /**
   * Whether {@link DbSink#start()} creates the offset table and its dead-letter table {@code
   * <offsetTable>_dlt} when absent (default true). Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> createOffsetTable(boolean create) {
    this.createOffsetTable = create;
    return this;
  }

  /** The code that writes each batch's rows. Called twice, the last value wins. */
  public DbSinkBuilder<K, V> handler(BatchHandler<K, V> handler) {
    this.handler = handler;
    return this;
  }

  /**
   * The most records in one transaction (default 500); also the consumer's max.poll.records. Called
   * twice, the last value wins.
   */
  public DbSinkBuilder<K, V> maxBatchRecords(int records) {
    this.maxBatchRecords = records;
    return this;
  }

  /**
   * The most key and value bytes in one transaction (default 4 MiB); one larger record still goes
   * alone. Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> maxBatchBytes(long bytes) {
    this.maxBatchBytes = bytes;
    return this;
  }

  /**
   * One dead-letter topic for every input topic. By default each input topic {@code t} has its own,
   * {@code t.dlt}, since a sink may read several topics whose records differ; give a topic here to
   * send the dead letters of them all to one place (the {@code exactly.dlt.original.topic} header
   * still says where each came from). It must not be one of the input topics. Called twice, the
   * last value wins.
   */
  public DbSinkBuilder<K, V> deadLetterTopic(String topic) {
    this.deadLetterTopic = topic;
    return this;
  }

  /**
   * How often and how far apart a batch that met a transient database error is tried again (default
   * {@link RetryPolicy#DEFAULT}); once it is exhausted the partitions are rewound and polled again,
   * never dead-lettered. Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> retry(RetryPolicy policy) {
    this.retry = policy;
    return this;
  }

  /** The consumer's poll timeout (default 500 ms). Called twice, the last value wins. */
  public DbSinkBuilder<K, V> pollTimeout(Duration timeout) {
    this.pollTimeout = timeout;
    return this;
  }

  /**
   * Where the sink's meters go (default: a private registry nobody reads): {@code
   * exactly.records.in}, {@code exactly.records.committed}, {@code exactly.dead.letters}, {@code
   * exactly.retries}, {@code exactly.fenced.commits}, {@code exactly.commit.latency}, {@code
   * exactly.batch.size}, tagged {@code component=db-sink}, {@code group} and {@code instance}.
   * Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> meterRegistry(MeterRegistry registry) {
    this.meterRegistry = registry;
    return this;
  }

  /**
   * Testing only: called at each {@code SINK_*} {@link dev.exactly.FaultPoint} of the commit path,
   * so a crash test can halt the process exactly there (default {@link FaultInjection#NONE}).
   * Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> faults(FaultInjection faults) {
    this.faults = faults;
    return this;
  }

  /**
   * The time the sink waits on and measures with: retry backoff, claim retries, the Kafka offset
   * mirror's interval, commit latency (default {@link Ticker#system()}; a test passes a fake clock
   * and moves time on instead of sleeping). Kafka's own timeouts (poll, session) stay on the system
   * clock. Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> ticker(Ticker ticker) {
    this.ticker = ticker;
    return this;
  }

  /**
   * How long a claim or an offset update waits for a row lock (default 10 s). Not public: a test
   * that holds a row lock on purpose need not wait the full default to see the sink give up. Called
   * twice, the last value wins.
   */
  DbSinkBuilder<K, V> lockWait(Duration wait) {
    this.lockWait = Objects.requireNonNull(wait, "lockWait");
    return this;
  }

  /**
   * This instance's name in the engine thread's name, logs, the {@code instance} tag of its meters
   * and the client.id prefix (default {@code db-sink}). Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> instanceId(String id) {
    this.instanceId = id;
    return this;
  }

  /**
   * How long {@code start()} waits for the cluster to answer its checks (default 30 s). Called
   * twice, the last value wins.
   *
   * @throws ConfigurationException if not positive
   */
  public DbSinkBuilder<K, V> startTimeout(Duration timeout) {
    this.start = start.withTimeout("sink.startTimeout", timeout);
    return this;
  }

  /**
   * Whether {@code start()} refuses an input topic that does not exist, naming the closest existing
   * names (default true; the consumer then never auto-creates it). False starts anyway and waits
   * for the topic. Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> requireExistingTopics(boolean require) {
    this.start = start.withRequireExistingTopics(require);
    return this;
  }

  /**
   * Whether {@code start()} creates a missing dead-letter topic, with as many partitions as its
   * input (default false: a missing one refuses the start). Called twice, the last value wins.
   */
  public DbSinkBuilder<K, V> createTopics(boolean create) {
    this.start = start.withCreateTopics(create);
    return this;
  }

  /**
   * Checks every setting and builds a sink in state {@link ComponentState#CREATED}; nothing
   * connects until {@link DbSink#start()}.
   *
   * @throws ConfigurationException naming the setting, the value and the fix
   */
  public DbSink<K, V> build() {
    require(handler != null, "sink.handler", null, "is required; give the code that writes rows");
    require(
        keyDeserializer != null && valueDeserializer != null,
        "sink.deserializers",
        null,
        "are required; give a key and a value deserializer");
    require(!topics.isEmpty(), "sink.topics", "[]", "is empty; name at least one topic");
    for (String t : topics) {
      require(t != null && !t.isBlank(), "sink.topics", topics, "holds a blank name; remove it");
    }
    require(
        (dataSource == null) != (jdbcUrl == null),
        "sink.dataSource",
        dataSource == null ? "none" : "given with sink.jdbcUrl " + jdbcUrl,
        "give exactly one of dataSource(...) or jdbcUrl(...)");
    if (jdbcUrl != null) {
      require(
          jdbcUrl.startsWith("jdbc:"),
          "sink.jdbcUrl",
          jdbcUrl.replaceAll("password=[^&;]*", "password=[hidden]"),
          "is not a JDBC URL; it starts with jdbc:");
      require(
          HikariPools.available(),
          "sink.jdbcUrl",
          "given",
          "needs HikariCP (com.zaxxer:HikariCP) on the class path; add it, or give dataSource(...)");
    }
    Dialect.checkIdentifier("sink.offsetTable", offsetTable);
    require(
        maxBatchRecords >= 1 && maxBatchRecords <= 100_000,
        "sink.maxBatchRecords",
        maxBatchRecords,
        "must be 1..100000");
    require(maxBatchBytes >= 1024, "sink.maxBatchBytes", maxBatchBytes, "must be at least 1024");
    if (deadLetterTopic != null) {
      require(
          !deadLetterTopic.isBlank(),
          "sink.deadLetterTopic",
          "'" + deadLetterTopic + "'",
          "is blank; name a topic, or leave it unset for <topic>.dlt per input topic");
      require(
          !topics.contains(deadLetterTopic),
          "sink.deadLetterTopic",
          deadLetterTopic,
          "is an input topic: the source topic itself would read its own dead letters back;"
              + " name another topic");
    }
    require(retry != null, "sink.retry", null, "is required; use RetryPolicy.NONE for no retry");
    require(
        pollTimeout != null && !pollTimeout.isNegative() && !pollTimeout.isZero(),
        "sink.pollTimeout",
        pollTimeout,
        "must be positive");
    require(faults != null, "sink.faults", null, "is required; use FaultInjection.NONE");
    require(ticker != null, "sink.ticker", null, "is required; use Ticker.system()");
    require(
        instanceId != null && instanceId.matches("[A-Za-z0-9._-]{1,64}"),
        "sink.instanceId",
        instanceId,
        "use 1..64 letters, digits, dots, dashes or underscores");

    Object givenGroup = kafkaProperties.get(ConsumerConfig.GROUP_ID_CONFIG);
    String group = groupId != null ? groupId : givenGroup == null ? null : givenGroup.toString();
    require(
        group != null && !group.isBlank(),
        "sink.groupId",
        group,
        "is required; it keys the offset table");
    require(
        givenGroup == null || givenGroup.toString().equals(group),
        ConsumerConfig.GROUP_ID_CONFIG,
        givenGroup,
        "contradicts sink.groupId " + group + "; give the group once");
    require(
        kafkaProperties.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) != null,
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
        null,
        "is required in kafkaProperties");
    String reset =
        String.valueOf(
                kafkaProperties.getOrDefault(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"))
            .toLowerCase(Locale.ROOT);
    require(
        reset.equals("earliest") || reset.equals("latest"),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
        reset,
        "must be earliest or latest: it says where a partition with no row in the offset table"
            + " starts");

    KafkaSettings consumer =
        new KafkaSettings(kafkaProperties, "the database sink's exactly-once")
            .require(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                "false",
                "offsets are committed in the database transaction, Kafka only mirrors them")
            .require(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                "records of aborted producer transactions must never reach the database")
            .forbid(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                "the sink reads bytes and deserializes with deserializers(...), so a bad record"
                    + " goes to the dead-letter topic")
            .forbid(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                "the sink reads bytes and deserializes with deserializers(...), so a bad record"
                    + " goes to the dead-letter topic")
            .set(ConsumerConfig.GROUP_ID_CONFIG, group)
            .set(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, reset)
            .withDefault(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxBatchRecords)
            .withDefault(ConsumerConfig.CLIENT_ID_CONFIG, instanceId + "-" + group);
    if (start.requireExistingTopics()) {
      // A mistyped input topic must be refused at start, not created by the first poll.
      consumer.withDefault(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    }
    return new SinkEngine<>(
        new SinkSettings<>(
            consumer.toMap(),
            group,
            List.copyOf(topics),
            keyDeserializer,
            valueDeserializer,
            dataSource,
            jdbcUrl,
            offsetTable,
            createOffsetTable,
            handler,
            maxBatchRecords,
            maxBatchBytes,
            deadLetterTopic,
            retry,
            pollTimeout,
            meterRegistry,
            faults,
            ticker,
            instanceId,
            lockWait,
            start));
  }

  private static void require(boolean ok, String key, Object value, String problemAndFix) {
    if (!ok) {
      throw new ConfigurationException(key, value, problemAndFix);
    }
  }
}
