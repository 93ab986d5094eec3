package dev.exactly.jdbc.sink;

import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.FaultInjection;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.StartPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
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

  final Map<String, Object> kafkaProperties = new LinkedHashMap<>();
  String groupId;
  final List<String> topics = new ArrayList<>();
  Deserializer<K> keyDeserializer;
  Deserializer<V> valueDeserializer;
  DataSource dataSource;
  String jdbcUrl;
  String offsetTable = DEFAULT_OFFSET_TABLE;
  boolean createOffsetTable = true;
  BatchHandler<K, V> handler;
  int maxBatchRecords = 500;
  long maxBatchBytes = 4L * 1024 * 1024;
  String deadLetterTopic;
  RetryPolicy retry = RetryPolicy.DEFAULT;
  Duration pollTimeout = Duration.ofMillis(500);
  MeterRegistry meterRegistry;
  FaultInjection faults = FaultInjection.NONE;
  Ticker ticker = Ticker.system();
  String instanceId = "db-sink";
  Duration lockWait = SinkEngine.LOCK_WAIT;
  StartPolicy start = StartPolicy.DEFAULT;

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
    return new SinkEngine<>(SinkSettings.from(this));
  }
}
