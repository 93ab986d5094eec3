package dev.exactly.jdbc.sink;

import dev.exactly.ComponentState;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.DeadLetterProducer;
import dev.exactly.internal.KafkaSettings;
import dev.exactly.internal.Lifecycle;
import dev.exactly.internal.StartCheck;
import dev.exactly.jdbc.Database;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.internal.H2Durability;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link DbSink}: its lifecycle and its one thread, which polls, hands each poll
 * to the {@link BatchWriter}, claims waiting partitions ({@link Assignments}) and mirrors offsets
 * to Kafka ({@link OffsetMirror}).
 *
 * <p>Everything but {@link #state}, {@link #close} and {@link #failure} runs on the engine thread,
 * including the rebalance listener (the consumer calls it inside {@code poll}), so the jobs'
 * bookkeeping ({@link Ownership}) needs no locks.
 */
final class SinkEngine<K, V> implements DbSink<K, V> {
  private static final Logger log = LoggerFactory.getLogger(SinkEngine.class);
  private static final Duration CLIENT_CLOSE = Duration.ofSeconds(5);

  /** How long a claim or an offset update waits for a row lock before retrying, by default. */
  static final Duration LOCK_WAIT = Duration.ofSeconds(10);

  /** On a pool the sink builds: PostgreSQL ends a session idle inside a transaction this long. */
  static final Duration IDLE_IN_TRANSACTION = Duration.ofSeconds(60);

  /**
   * Waits between attempts to write one dead letter: its offset cannot commit before Kafka has it,
   * so it is tried until written or the sink stops (the attempt count is not used).
   */
  private static final RetryPolicy DEAD_LETTER_BACKOFF =
      new RetryPolicy(1, Duration.ofMillis(100), Duration.ofSeconds(5), 2.0);

  private final SinkSettings<K, V> settings;
  private final SinkMetrics metrics;
  private final Lifecycle lifecycle;
  private final Ticker ticker;
  private final DeadLetterProducer deadLetterProducer;
  private volatile Thread thread;

  private AutoCloseable ownedPool;
  private volatile KafkaConsumer<byte[], byte[]> consumer;

  // Built in start(), once the clients exist; used by the engine thread only.
  private Assignments<K, V> assignments;
  private BatchWriter<K, V> writer;
  private DeadLetterPath<K, V> deadLetters;
  private OffsetMirror mirror;
  private Ownership own;

  SinkEngine(SinkSettings<K, V> settings) {
    this.settings = settings;
    this.lifecycle = new Lifecycle("db sink " + settings.instanceId());
    this.ticker = settings.ticker();
    this.metrics =
        new SinkMetrics(settings.meterRegistry(), settings.groupId(), settings.instanceId());
    lifecycle.registerStateGauges(metrics.meters);
    this.deadLetterProducer =
        new DeadLetterProducer(
            settings.consumerProperties(), settings.instanceId(), DEAD_LETTER_BACKOFF, ticker);
  }

  @Override
  public void start() {
    lifecycle.moveFrom(ComponentState.CREATED, ComponentState.STARTING);
    new StartCheck(
            "db sink " + settings.instanceId(),
            "sink",
            settings.consumerProperties(),
            settings.start())
        .runOrFail(lifecycle, "sink.topics", settings.topics(), settings.deadLetterTopics());
    DataSource dataSource;
    Dialect dialect;
    OffsetTable offsets;
    DeadLetterTable deadLetterTable;
    try {
      if (settings.dataSource() != null) {
        dataSource = settings.dataSource();
      } else {
        var pool =
            HikariPools.create(
                settings.jdbcUrl(),
                settings.instanceId(),
                settings.lockWait(),
                IDLE_IN_TRANSACTION);
        dataSource = pool;
        ownedPool = pool;
      }
      dialect = Dialect.of(dataSource);
      if (dialect.database() == Database.H2) {
        H2Durability.check(dataSource, "db sink " + settings.instanceId());
      }
      offsets =
          new OffsetTable(dialect, settings.offsetTable(), settings.groupId(), settings.lockWait());
      deadLetterTable =
          new DeadLetterTable(
              dialect, DeadLetterTable.nameFor(settings.offsetTable()), settings.groupId());
      if (settings.createOffsetTable()) {
        createTables(dataSource, offsets, deadLetterTable);
      }
      consumer =
          new KafkaConsumer<>(
              settings.consumerProperties(),
              new ByteArrayDeserializer(),
              new ByteArrayDeserializer());
    } catch (SQLException | RuntimeException e) {
      lifecycle.fail(e);
      closeQuietly(ownedPool);
      lifecycle.terminated();
      throw new IllegalStateException(
          "db sink "
              + settings.instanceId()
              + " cannot start: "
              + e.getMessage()
              + " (offset table "
              + settings.offsetTable()
              + "); fix the database or settings, then build a new sink",
          e);
    }
    SinkContext<K, V> ctx =
        new SinkContext<>(settings, metrics, this::running, dataSource, dialect, offsets, consumer);
    own = ctx.own;
    assignments = new Assignments<>(ctx);
    RefusedCommits<K, V> refused = new RefusedCommits<>(ctx, assignments);
    BatchTransaction<K, V> transaction = new BatchTransaction<>(ctx);
    deadLetters =
        new DeadLetterPath<>(ctx, transaction, refused, deadLetterProducer, deadLetterTable);
    writer = new BatchWriter<>(ctx, transaction, deadLetters, refused);
    mirror = new OffsetMirror(ctx);
    log.info(
        "db sink {} starting: group {}, topics {}, {} offset table {}, kafka {}",
        settings.instanceId(),
        settings.groupId(),
        settings.topics(),
        dialect.name(),
        offsets.table(),
        KafkaSettings.masked(settings.consumerProperties()));
    Thread t = new Thread(this::run, "exactly-db-sink-" + settings.instanceId());
    thread = t;
    // RUNNING before the thread starts: its loop runs while RUNNING. A close() that came during
    // STARTING already moved to CLOSING; the thread then only releases the clients.
    lifecycle.tryMoveTo(ComponentState.RUNNING);
    t.start();
  }

  /** Creates the offset table and its dead-letter table when absent. */
  private static void createTables(
      DataSource dataSource, OffsetTable offsets, DeadLetterTable deadLetterTable)
      throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      offsets.create(c);
      deadLetterTable.create(c);
    }
  }

  @Override
  public boolean close(Duration timeout) {
    if (lifecycle.is(ComponentState.CREATED) && lifecycle.tryMoveTo(ComponentState.CLOSED)) {
      lifecycle.terminated();
      return true;
    }
    if (lifecycle.is(ComponentState.CLOSED)) {
      return true;
    }
    lifecycle.tryMoveTo(ComponentState.CLOSING);
    Thread t = thread;
    if (t != null) {
      KafkaConsumer<byte[], byte[]> c = consumer;
      if (c != null) {
        c.wakeup();
      }
      try {
        t.join(Math.max(1, timeout.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        log.warn("db sink {} still stopping after {}", settings.instanceId(), timeout);
        return false;
      }
    } else {
      closeClients(); // start() failed: release what it had opened
    }
    lifecycle.tryMoveTo(ComponentState.CLOSED);
    return true;
  }

  @Override
  public ComponentState state() {
    return lifecycle.state();
  }

  @Override
  public Optional<Throwable> failure() {
    return lifecycle.failure();
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return lifecycle.awaitTermination(timeout);
  }

  private boolean running() {
    return lifecycle.is(ComponentState.RUNNING);
  }

  private void run() {
    try {
      consumer.subscribe(settings.topics(), assignments);
      while (running()) {
        ConsumerRecords<byte[], byte[]> polled;
        try {
          polled = consumer.poll(settings.pollTimeout());
        } catch (WakeupException e) {
          continue;
        }
        metrics.lag.update(consumer);
        if (!own.unpublished.isEmpty()) {
          deadLetters.publishLeftovers();
        }
        if (!polled.isEmpty()) {
          own.skip.clear();
          writer.write(polled);
        }
        if (assignments.claimDue()) {
          assignments.claimPending();
        }
        mirror.maybeMirror();
      }
    } catch (Throwable t) {
      if (running()) {
        log.error(
            "db sink {} stopped: {}; no batch is in flight, close it and start a new one",
            settings.instanceId(),
            t.toString(),
            t);
        lifecycle.fail(t);
      }
    } finally {
      closeClients();
      if (lifecycle.is(ComponentState.CLOSING)) {
        lifecycle.tryMoveTo(ComponentState.CLOSED);
      }
      lifecycle.terminated();
    }
  }

  private void closeClients() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      if (mirror != null) {
        mirror.mirrorNow(CLIENT_CLOSE);
      }
      try {
        c.close(CloseOptions.timeout(CLIENT_CLOSE));
      } catch (RuntimeException e) {
        log.warn("closing the consumer of db sink {}: {}", settings.instanceId(), e.toString());
      }
    }
    deadLetterProducer.close(CLIENT_CLOSE);
    closeQuietly(ownedPool);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable != null) {
      try {
        closeable.close();
      } catch (Exception e) {
        log.warn("closing {}: {}", closeable, e.toString());
      }
    }
  }
}
