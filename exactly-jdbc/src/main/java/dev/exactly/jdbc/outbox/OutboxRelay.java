package dev.exactly.jdbc.outbox;

import dev.exactly.Component;
import dev.exactly.ComponentState;
import dev.exactly.ConfigurationException;
import dev.exactly.FaultInjection;
import dev.exactly.Ticker;
import dev.exactly.internal.StartPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Publishes the committed rows of an {@link Outbox} table to Kafka, each exactly once as seen by a
 * {@code read_committed} consumer, with header {@value Outbox#ID_HEADER} (the row id) and the
 * user's headers.
 *
 * <p><b>Guarantee.</b> Each batch of rows goes out in one Kafka transaction together with the
 * relay's position (a record in a compacted topic), and the relay reads its position back from that
 * topic when it starts. A crash anywhere therefore either shows the whole batch and the position
 * that covers it, or neither. A row whose id was taken before a higher id became visible is
 * remembered as a gap and published when its transaction commits; a gap is given up only when no
 * transaction that could hold it is still open (PostgreSQL, MariaDB with PROCESS privilege) or,
 * where the database cannot tell (H2), after {@link Builder#gapTimeout}.
 *
 * <p><b>Order.</b> Rows are published in id order, and a late-committing row as soon as it becomes
 * visible: one key's records keep their commit order when the writer serializes that key's
 * transactions (see {@link Outbox}).
 *
 * <p><b>Instances.</b> Any number of instances may run with the same name; one holds the name's
 * database lock and publishes, the others wait in {@link ComponentState#STANDBY}. An instance that
 * lost its lock but did not notice yet is fenced by the next one's {@code transactional.id} and
 * stops in {@link ComponentState#FENCED}. On H2, which has no session locks, only the fencing
 * applies.
 *
 * <p><b>States.</b> {@code CREATED -> STARTING -> STANDBY <-> RUNNING -> CLOSING -> CLOSED}. A
 * database or transient Kafka failure sends the relay back to STANDBY to try again; it stops for
 * good in {@link ComponentState#FENCED} when another producer took its {@code transactional.id},
 * and in {@link ComponentState#FAILED} when Kafka refuses it for good (not authorized, say), with
 * the cause in {@link #failure()}.
 *
 * <p><b>Threads.</b> The relay runs on one thread of its own; the methods here are thread-safe.
 */
public interface OutboxRelay extends Component {

  static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the relay's thread. Returns at once; see {@link #state()}.
   *
   * @throws IllegalStateException when already started or closed
   */
  void start();

  /** Where the relay is in its lifecycle; see the class comment. */
  ComponentState state();

  /**
   * Why the relay stopped on its own: the fencing in {@link ComponentState#FENCED}, Kafka's refusal
   * in {@link ComponentState#FAILED}; empty otherwise.
   */
  Optional<Throwable> failure();

  /**
   * Stops publishing, waiting up to {@code timeout} for the batch in flight; an unfinished batch is
   * abandoned (its Kafka transaction aborts) and published again by the next instance.
   *
   * @return whether everything stopped within the timeout
   */
  boolean close(Duration timeout);

  /**
   * Settings of an {@link OutboxRelay}; every value is checked in {@link #build()}. Each setter
   * called twice keeps the last value.
   */
  final class Builder {
    DataSource dataSource;
    Map<String, ?> kafkaProperties;
    String table = OutboxTable.DEFAULT_NAME;
    String name;
    String instanceId;
    String positionTopic = "exactly-outbox-positions";
    String deadLetterTopic = "exactly-outbox-dlt";
    String transactionalIdPrefix = "exactly-outbox-";
    int batchSize = 500;
    Duration maxIdle = Duration.ofMillis(100);
    Duration gapTimeout = Duration.ofMinutes(5);
    Duration missingTopicTimeout = Duration.ofMinutes(2);
    Duration retention = Duration.ofHours(1);
    int cleanupBatchSize = 500;
    Duration cleanupInterval = Duration.ofSeconds(10);
    boolean createTable = true;
    MeterRegistry meterRegistry;
    Ticker ticker = Ticker.system();
    FaultInjection faults = FaultInjection.NONE;
    StartPolicy start = StartPolicy.DEFAULT;

    private Builder() {}

    /**
     * Where the outbox table lives; connections are borrowed and returned. Required. Called twice,
     * the last value wins.
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = dataSource;
      return this;
    }

    /**
     * Producer and consumer properties: {@code bootstrap.servers} (required), security and tuning,
     * passed through untouched. The relay owns {@code transactional.id} and the serializers, and
     * requires idempotence with {@code acks=all}. Called twice, the last value wins.
     */
    public Builder kafkaProperties(Map<String, ?> kafkaProperties) {
      this.kafkaProperties = kafkaProperties;
      return this;
    }

    /** The outbox table; default {@code exactly_outbox}. Called twice, the last value wins. */
    public Builder table(String table) {
      this.table = table;
      return this;
    }

    /**
     * This relay's name: one instance of a name publishes at a time. It names the lock, the
     * position record and the {@code transactional.id}, and is the {@code group} tag of the meters.
     * Default: the table name. Called twice, the last value wins.
     */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /**
     * Which instance this is among those running with the same {@link #name}, for logs and the
     * {@code instance} tag of the meters (a pod name, say); it takes no part in the locking or
     * fencing. Default: the process id and a sequence number. Called twice, the last value wins.
     */
    public Builder instanceId(String instanceId) {
      this.instanceId = instanceId;
      return this;
    }

    /**
     * The compacted topic holding relay positions, created (1 partition, compacted, replication 3
     * and {@code min.insync.replicas} 2 on a cluster of three or more brokers) when absent; default
     * {@code exactly-outbox-positions}. Relays sharing it wait at start for each other's open
     * transactions on it (up to their {@code transaction.timeout.ms}); give each relay its own to
     * avoid that. Called twice, the last value wins.
     */
    public Builder positionTopic(String positionTopic) {
      this.positionTopic = positionTopic;
      return this;
    }

    /**
     * Where a row Kafka refuses for good (too large, say) goes, with the {@link
     * dev.exactly.DeadLetterHeaders} headers and reason {@code refused-by-kafka}; default
     * exactly-outbox-dlt. Called twice, the last value wins.
     */
    public Builder deadLetterTopic(String deadLetterTopic) {
      this.deadLetterTopic = deadLetterTopic;
      return this;
    }

    /**
     * Prefix of the {@code transactional.id}, followed by the name; default exactly-outbox-. Called
     * twice, the last value wins.
     */
    public Builder transactionalIdPrefix(String prefix) {
      this.transactionalIdPrefix = prefix;
      return this;
    }

    /** Rows per Kafka transaction, 1..10000; default 500. Called twice, the last value wins. */
    public Builder batchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /**
     * The longest wait between polls of an idle table (polls back off from 1 ms to this); on
     * PostgreSQL, writes wake the relay at once and this is only a safety net. Default 100 ms.
     * Called twice, the last value wins.
     */
    public Builder maxIdle(Duration maxIdle) {
      this.maxIdle = maxIdle;
      return this;
    }

    /**
     * Where the database cannot show which transactions are open (H2, or a user without the
     * privilege), how long an id missing below published ones is awaited before it is taken for
     * rolled back; a row that appears there later is still published, late (logged and counted).
     * Everywhere, the longest a jump of more than 10,000 ids holds the relay up. Must exceed your
     * longest transaction that writes the outbox. Default 5 min. Called twice, the last value wins.
     */
    public Builder gapTimeout(Duration gapTimeout) {
      this.gapTimeout = gapTimeout;
      return this;
    }

    /**
     * How long a row for a topic that does not exist (on a cluster that does not create topics on
     * first use) or that the relay may not write holds the relay up before it goes to the {@link
     * #deadLetterTopic} with reason {@code refused-by-kafka}, so the rows after it flow again; 1
     * s..1 day, default 2 min. Rows of every topic wait meanwhile, so that none overtakes it.
     * Called twice, the last value wins.
     */
    public Builder missingTopicTimeout(Duration missingTopicTimeout) {
      this.missingTopicTimeout = missingTopicTimeout;
      return this;
    }

    /**
     * How long published rows are kept before cleanup deletes them; default 1 hour. Called twice,
     * the last value wins.
     */
    public Builder retention(Duration retention) {
      this.retention = retention;
      return this;
    }

    /**
     * Rows deleted per cleanup transaction, 1..10000; default 500. Called twice, the last value
     * wins.
     */
    public Builder cleanupBatchSize(int cleanupBatchSize) {
      this.cleanupBatchSize = cleanupBatchSize;
      return this;
    }

    /** How often cleanup runs; default 10 s. Called twice, the last value wins. */
    public Builder cleanupInterval(Duration cleanupInterval) {
      this.cleanupInterval = cleanupInterval;
      return this;
    }

    /**
     * Whether the relay creates the outbox table when absent; default true. Called twice, the last
     * value wins.
     */
    public Builder createTable(boolean createTable) {
      this.createTable = createTable;
      return this;
    }

    /**
     * Registry for the relay's meters ({@code exactly.records.committed}, {@code
     * exactly.dead.letters}, {@code exactly.aborts}, {@code exactly.outbox.*}; see docs/outbox.md);
     * default a private registry nobody reads. Called twice, the last value wins.
     */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = meterRegistry;
      return this;
    }

    /**
     * The time the relay reads and waits on: poll, cleanup and lock-check cadence, retention,
     * latency and gap timeouts. Default {@link Ticker#system()}; a test passes the testkit's {@code
     * FakeClock} and moves time on instead of sleeping. Called twice, the last value wins.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = ticker;
      return this;
    }

    /**
     * For tests only: called at each {@code FaultPoint.RELAY_*} the relay passes. Default {@link
     * FaultInjection#NONE}. Called twice, the last value wins.
     */
    public Builder faults(FaultInjection faults) {
      this.faults = faults;
      return this;
    }

    /**
     * How long {@code start()} waits for the cluster to answer its checks; default 30 s. Called
     * twice, the last value wins.
     *
     * @throws ConfigurationException if not positive
     */
    public Builder startTimeout(Duration timeout) {
      this.start = start.withTimeout("relay.startTimeout", timeout);
      return this;
    }

    /**
     * Whether {@code start()} creates a missing dead-letter topic (the broker's default partitions,
     * replication 3 and {@code min.insync.replicas=2} on three or more brokers); default false: a
     * missing one refuses the start. Called twice, the last value wins.
     */
    public Builder createTopics(boolean create) {
      this.start = start.withCreateTopics(create);
      return this;
    }

    /**
     * @throws ConfigurationException naming the setting, the value and the fix
     */
    public OutboxRelay build() {
      return new RelayEngine(RelaySettings.from(this));
    }
  }
}
