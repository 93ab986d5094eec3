package dev.exactly.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Every setting of the starter, under {@code exactly.*}. Kafka connection settings not given here
 * fall back to Boot's {@code spring.kafka.*} (bootstrap servers, client id, security, SSL and
 * {@code spring.kafka.properties.*}). Values are checked when the components are built, at
 * start-up; a bad one stops the application with a message naming the property, the value and the
 * fix.
 */
@ConfigurationProperties("exactly")
public class ExactlyProperties {

  /**
   * This instance's stable name (a pod or host name): the transactional ids and static group
   * membership derive from it, so a restarted instance fences its own zombie. Defaults to the
   * HOSTNAME environment variable; required when that is absent.
   */
  private String instanceId;

  /**
   * Whether the components start with the application context; when false, start them through the
   * ExactlyComponents bean's start().
   */
  private boolean autoStartup = true;

  /**
   * Kafka client properties for every component, over those taken from spring.kafka.*; a
   * component's own exactly.*.kafka.* go over these.
   */
  private Map<String, String> kafka = new LinkedHashMap<>();

  /** Exactly-once processors by name; each needs a RecordProcessor bean of that name. */
  private Map<String, Processor> processors = new LinkedHashMap<>();

  /** Idempotent consumers by name; each needs a handler bean of that name. */
  private Map<String, Consumer> consumers = new LinkedHashMap<>();

  /** DB sinks by name; each needs a BatchHandler bean of that name and writes to the DataSource. */
  private Map<String, Sink> sinks = new LinkedHashMap<>();

  /** The transactional outbox on the application's DataSource and its relay. */
  private Outbox outbox = new Outbox();

  /** The Redis dedup store, for consumers whose store is redis. */
  private Redis redis = new Redis();

  public String getInstanceId() {
    return instanceId;
  }

  public void setInstanceId(String instanceId) {
    this.instanceId = instanceId;
  }

  public boolean isAutoStartup() {
    return autoStartup;
  }

  public void setAutoStartup(boolean autoStartup) {
    this.autoStartup = autoStartup;
  }

  public Map<String, String> getKafka() {
    return kafka;
  }

  public void setKafka(Map<String, String> kafka) {
    this.kafka = kafka;
  }

  public Map<String, Processor> getProcessors() {
    return processors;
  }

  public void setProcessors(Map<String, Processor> processors) {
    this.processors = processors;
  }

  public Map<String, Consumer> getConsumers() {
    return consumers;
  }

  public void setConsumers(Map<String, Consumer> consumers) {
    this.consumers = consumers;
  }

  public Map<String, Sink> getSinks() {
    return sinks;
  }

  public void setSinks(Map<String, Sink> sinks) {
    this.sinks = sinks;
  }

  public Outbox getOutbox() {
    return outbox;
  }

  public void setOutbox(Outbox outbox) {
    this.outbox = outbox;
  }

  public Redis getRedis() {
    return redis;
  }

  public void setRedis(Redis redis) {
    this.redis = redis;
  }

  /** Settings every Kafka-consuming component shares. */
  public abstract static class Common {
    /** The consumer group; defaults to the component's name. */
    private String groupId;

    /** The dead-letter topic; defaults to the input topic with the suffix .dlt. */
    private String deadLetterTopic;

    /** How long start-up may wait for the cluster and the topics. */
    private Duration startTimeout = Duration.ofSeconds(30);

    /** Whether start-up creates a missing dead-letter topic; otherwise a missing one fails it. */
    private boolean createTopics = false;

    /** Kafka client properties for this component only, over exactly.kafka.* and spring.kafka.*. */
    private Map<String, String> kafka = new LinkedHashMap<>();

    /** The key deserializer class. */
    private Class<? extends Deserializer<?>> keyDeserializer = StringDeserializerType.TYPE;

    /** The value deserializer class. */
    private Class<? extends Deserializer<?>> valueDeserializer = StringDeserializerType.TYPE;

    public String getGroupId() {
      return groupId;
    }

    public void setGroupId(String groupId) {
      this.groupId = groupId;
    }

    public String getDeadLetterTopic() {
      return deadLetterTopic;
    }

    public void setDeadLetterTopic(String deadLetterTopic) {
      this.deadLetterTopic = deadLetterTopic;
    }

    public Duration getStartTimeout() {
      return startTimeout;
    }

    public void setStartTimeout(Duration startTimeout) {
      this.startTimeout = startTimeout;
    }

    public boolean isCreateTopics() {
      return createTopics;
    }

    public void setCreateTopics(boolean createTopics) {
      this.createTopics = createTopics;
    }

    public Map<String, String> getKafka() {
      return kafka;
    }

    public void setKafka(Map<String, String> kafka) {
      this.kafka = kafka;
    }

    public Class<? extends Deserializer<?>> getKeyDeserializer() {
      return keyDeserializer;
    }

    public void setKeyDeserializer(Class<? extends Deserializer<?>> keyDeserializer) {
      this.keyDeserializer = keyDeserializer;
    }

    public Class<? extends Deserializer<?>> getValueDeserializer() {
      return valueDeserializer;
    }

    public void setValueDeserializer(Class<? extends Deserializer<?>> valueDeserializer) {
      this.valueDeserializer = valueDeserializer;
    }
  }

  /** One exactly-once processor: {@code exactly.processors.<name>.*}. */
  public static class Processor extends Common {
    /** The input topic; required. */
    private String inputTopic;

    /** How long a batch (one transaction) stays open. */
    private Duration commitInterval = Duration.ofMillis(100);

    /** The most records in one batch. */
    private int maxBatchRecords = 50_000;

    /** Prefix of the transactional ids; defaults to the group id. */
    private String transactionalIdPrefix;

    /** The output key serializer class. */
    private Class<? extends Serializer<?>> keySerializer = StringSerializerType.TYPE;

    /** The output value serializer class. */
    private Class<? extends Serializer<?>> valueSerializer = StringSerializerType.TYPE;

    public String getInputTopic() {
      return inputTopic;
    }

    public void setInputTopic(String inputTopic) {
      this.inputTopic = inputTopic;
    }

    public Duration getCommitInterval() {
      return commitInterval;
    }

    public void setCommitInterval(Duration commitInterval) {
      this.commitInterval = commitInterval;
    }

    public int getMaxBatchRecords() {
      return maxBatchRecords;
    }

    public void setMaxBatchRecords(int maxBatchRecords) {
      this.maxBatchRecords = maxBatchRecords;
    }

    public String getTransactionalIdPrefix() {
      return transactionalIdPrefix;
    }

    public void setTransactionalIdPrefix(String transactionalIdPrefix) {
      this.transactionalIdPrefix = transactionalIdPrefix;
    }

    public Class<? extends Serializer<?>> getKeySerializer() {
      return keySerializer;
    }

    public void setKeySerializer(Class<? extends Serializer<?>> keySerializer) {
      this.keySerializer = keySerializer;
    }

    public Class<? extends Serializer<?>> getValueSerializer() {
      return valueSerializer;
    }

    public void setValueSerializer(Class<? extends Serializer<?>> valueSerializer) {
      this.valueSerializer = valueSerializer;
    }
  }

  /** Where an idempotent consumer keeps its dedup keys. */
  public enum StoreType {
    /** The application's DataSource when there is one, otherwise start-up fails. */
    AUTO,
    /** JdbcDedupStore on the application's DataSource. */
    JDBC,
    /** Redis (exactly.redis.uri), with exactly-redis on the class path. */
    REDIS,
    /** In memory: forgotten on restart, so for tests and demos only. */
    MEMORY
  }

  /** One idempotent consumer: {@code exactly.consumers.<name>.*}. */
  public static class Consumer extends Common {
    /** The input topic; required. */
    private String inputTopic;

    /**
     * How a record's dedup key is found: offset (topic-partition-offset, the default), record-key,
     * header:NAME or json:/pointer.
     */
    private String dedupKey = "offset";

    /** Where dedup keys are kept. */
    private StoreType store = StoreType.AUTO;

    /** The dedup table, for the jdbc store. */
    private String storeTable = "exactly_dedup";

    /** Whether to create the dedup table when absent, for the jdbc store. */
    private boolean createStoreTable = true;

    /** How long a claim on a key is exclusive. */
    private Duration lease = Duration.ofSeconds(60);

    /** How long a done key is remembered. */
    private Duration retention = Duration.ofDays(7);

    /** The most keys the memory store holds. */
    private int memoryMaxEntries = 1_000_000;

    public String getInputTopic() {
      return inputTopic;
    }

    public void setInputTopic(String inputTopic) {
      this.inputTopic = inputTopic;
    }

    public String getDedupKey() {
      return dedupKey;
    }

    public void setDedupKey(String dedupKey) {
      this.dedupKey = dedupKey;
    }

    public StoreType getStore() {
      return store;
    }

    public void setStore(StoreType store) {
      this.store = store;
    }

    public String getStoreTable() {
      return storeTable;
    }

    public void setStoreTable(String storeTable) {
      this.storeTable = storeTable;
    }

    public boolean isCreateStoreTable() {
      return createStoreTable;
    }

    public void setCreateStoreTable(boolean createStoreTable) {
      this.createStoreTable = createStoreTable;
    }

    public Duration getLease() {
      return lease;
    }

    public void setLease(Duration lease) {
      this.lease = lease;
    }

    public Duration getRetention() {
      return retention;
    }

    public void setRetention(Duration retention) {
      this.retention = retention;
    }

    public int getMemoryMaxEntries() {
      return memoryMaxEntries;
    }

    public void setMemoryMaxEntries(int memoryMaxEntries) {
      this.memoryMaxEntries = memoryMaxEntries;
    }
  }

  /** One DB sink: {@code exactly.sinks.<name>.*}. */
  public static class Sink extends Common {
    /** The topics to consume; required. */
    private List<String> topics = new ArrayList<>();

    /** The table that keeps the sink's offsets. */
    private String offsetTable = "exactly_sink_offsets";

    /** Whether to create the offset table when absent. */
    private boolean createOffsetTable = true;

    /** The most records in one database transaction. */
    private int maxBatchRecords = 500;

    public List<String> getTopics() {
      return topics;
    }

    public void setTopics(List<String> topics) {
      this.topics = topics;
    }

    public String getOffsetTable() {
      return offsetTable;
    }

    public void setOffsetTable(String offsetTable) {
      this.offsetTable = offsetTable;
    }

    public boolean isCreateOffsetTable() {
      return createOffsetTable;
    }

    public void setCreateOffsetTable(boolean createOffsetTable) {
      this.createOffsetTable = createOffsetTable;
    }

    public int getMaxBatchRecords() {
      return maxBatchRecords;
    }

    public void setMaxBatchRecords(int maxBatchRecords) {
      this.maxBatchRecords = maxBatchRecords;
    }
  }

  /** The outbox: {@code exactly.outbox.*}. */
  public static class Outbox {
    /** The outbox table. */
    private String table = "exactly_outbox";

    /** Whether to create the outbox table at start-up when absent. */
    private boolean createTable = true;

    /** The relay that publishes the outbox. */
    private Relay relay = new Relay();

    public String getTable() {
      return table;
    }

    public void setTable(String table) {
      this.table = table;
    }

    public boolean isCreateTable() {
      return createTable;
    }

    public void setCreateTable(boolean createTable) {
      this.createTable = createTable;
    }

    public Relay getRelay() {
      return relay;
    }

    public void setRelay(Relay relay) {
      this.relay = relay;
    }
  }

  /** The outbox relay: {@code exactly.outbox.relay.*}. */
  public static class Relay {
    /** Whether this application runs the relay. */
    private boolean enabled = false;

    /** The relay's name: its lock, its position and its meters' group tag. */
    private String name = "outbox";

    /** The topic that keeps the relay's position; defaults to the relay's own. */
    private String positionTopic;

    /** The dead-letter topic for rows that cannot be published; defaults to the relay's own. */
    private String deadLetterTopic;

    /** The most rows in one Kafka transaction. */
    private int batchSize = 500;

    /** How long start-up may wait for the cluster. */
    private Duration startTimeout = Duration.ofSeconds(30);

    /** Whether start-up creates a missing dead-letter topic; otherwise a missing one fails it. */
    private boolean createTopics = false;

    /** Kafka client properties for the relay only. */
    private Map<String, String> kafka = new LinkedHashMap<>();

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getPositionTopic() {
      return positionTopic;
    }

    public void setPositionTopic(String positionTopic) {
      this.positionTopic = positionTopic;
    }

    public String getDeadLetterTopic() {
      return deadLetterTopic;
    }

    public void setDeadLetterTopic(String deadLetterTopic) {
      this.deadLetterTopic = deadLetterTopic;
    }

    public int getBatchSize() {
      return batchSize;
    }

    public void setBatchSize(int batchSize) {
      this.batchSize = batchSize;
    }

    public Duration getStartTimeout() {
      return startTimeout;
    }

    public void setStartTimeout(Duration startTimeout) {
      this.startTimeout = startTimeout;
    }

    public boolean isCreateTopics() {
      return createTopics;
    }

    public void setCreateTopics(boolean createTopics) {
      this.createTopics = createTopics;
    }

    public Map<String, String> getKafka() {
      return kafka;
    }

    public void setKafka(Map<String, String> kafka) {
      this.kafka = kafka;
    }
  }

  /** The Redis dedup store: {@code exactly.redis.*}. */
  public static class Redis {
    /** The Redis URI, for example redis://localhost:6379. */
    private String uri;

    /** Prefix of every key the store writes. */
    private String keyPrefix = "exactly:";

    public String getUri() {
      return uri;
    }

    public void setUri(String uri) {
      this.uri = uri;
    }

    public String getKeyPrefix() {
      return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
    }
  }

  // Class literals of generic types need one unchecked cast; kept in one place.
  private static final class StringDeserializerType {
    static final Class<? extends Deserializer<?>> TYPE = cast(StringDeserializer.class);

    @SuppressWarnings("unchecked")
    private static Class<? extends Deserializer<?>> cast(Class<?> type) {
      return (Class<? extends Deserializer<?>>) type;
    }
  }

  private static final class StringSerializerType {
    static final Class<? extends Serializer<?>> TYPE = cast(StringSerializer.class);

    @SuppressWarnings("unchecked")
    private static Class<? extends Serializer<?>> cast(Class<?> type) {
      return (Class<? extends Serializer<?>>) type;
    }
  }
}
