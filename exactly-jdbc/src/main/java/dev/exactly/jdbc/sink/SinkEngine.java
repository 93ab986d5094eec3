package dev.exactly.jdbc.sink;

import dev.exactly.ComponentState;
import dev.exactly.DeadLetterReason;
import dev.exactly.FaultPoint;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.DeadLetterProducer;
import dev.exactly.internal.DeadLetters;
import dev.exactly.internal.KafkaSettings;
import dev.exactly.internal.Lifecycle;
import dev.exactly.internal.Waits;
import dev.exactly.jdbc.Dialect;
import dev.exactly.jdbc.internal.Transactions;
import dev.exactly.jdbc.sink.OffsetTable.Position;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link DbSink}: one thread that polls, writes each batch with its offsets in
 * one database transaction, and mirrors committed offsets to Kafka.
 *
 * <p>Everything but {@link #state}, {@link #close} and {@link #failure} runs on the engine thread,
 * including the rebalance listener (the consumer calls it inside {@code poll}); so the maps below
 * need no locks.
 */
final class SinkEngine<K, V> implements DbSink<K, V> {
  private static final Logger log = LoggerFactory.getLogger(SinkEngine.class);
  private static final Duration CLIENT_CLOSE = Duration.ofSeconds(5);
  private static final Duration MIRROR_INTERVAL = Duration.ofSeconds(1);

  /** How long a claim or an offset update waits for a row lock before retrying, by default. */
  static final Duration LOCK_WAIT = Duration.ofSeconds(10);

  /** On a pool the sink builds: PostgreSQL ends a session idle inside a transaction this long. */
  static final Duration IDLE_IN_TRANSACTION = Duration.ofSeconds(60);

  /**
   * Waits before claiming a partition again after failed claims: 1 s doubling up to 30 s. Claims
   * are retried for as long as Kafka assigns the partition here (the attempt count is not used).
   */
  private static final RetryPolicy CLAIM_BACKOFF =
      new RetryPolicy(1, Duration.ofSeconds(1), Duration.ofSeconds(30), 2.0);

  /**
   * Instances starting together race to create the offset table; the loser finds it on a later
   * try.
   */
  private static final RetryPolicy CREATE_TABLE_RACE =
      new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1), 2.0);

  /**
   * After a fenced commit, how long Kafka gets to revoke the partition (the sink asks for a
   * rebalance) before the sink, still assigned it, claims it again.
   */
  private static final Duration RECLAIM_AFTER_FENCE = Duration.ofSeconds(3);

  /**
   * Waits between attempts to write one dead letter: its offset cannot commit before Kafka has it,
   * so it is tried until written or the sink stops (the attempt count is not used).
   */
  private static final RetryPolicy DEAD_LETTER_BACKOFF =
      new RetryPolicy(1, Duration.ofMillis(100), Duration.ofSeconds(5), 2.0);

  private static final Comparator<TopicPartition> ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  private final SinkSettings<K, V> settings;
  private final SinkMetrics metrics;
  private final Lifecycle lifecycle;
  private final Ticker ticker;
  private volatile Thread thread;

  private DataSource dataSource;
  private AutoCloseable ownedPool;
  private OffsetTable offsets;
  private Dialect dialect;
  private KafkaConsumer<byte[], byte[]> consumer;
  private final DeadLetterProducer deadLetterProducer;

  /** Partitions this instance owns, with the epoch it claimed and the offset it last committed. */
  private final Map<TopicPartition, Position> owned = new HashMap<>();

  /** Offsets committed to the database and not yet mirrored to Kafka. */
  private final Map<TopicPartition, OffsetAndMetadata> unmirrored = new HashMap<>();

  private long lastMirror;

  /**
   * Partitions Kafka assigned here that the database does not show as ours (a claim failed, or a
   * commit was fenced): paused, and claimed again from the poll loop at {@link #nextClaim}.
   */
  private final Set<TopicPartition> unclaimed = new HashSet<>();

  private long nextClaim;

  /** Claim rounds that failed in a row; the next wait grows with it. */
  private int claimFailures;

  /** Partitions whose remaining records of the current poll must be dropped (lost, rewound). */
  private final Set<TopicPartition> skip = new HashSet<>();

  SinkEngine(SinkSettings<K, V> settings) {
    this.settings = settings;
    this.lifecycle = new Lifecycle("db sink " + settings.instanceId());
    this.ticker = settings.ticker();
    this.lastMirror = ticker.nanoTime();
    this.nextClaim = ticker.nanoTime();
    this.metrics = new SinkMetrics(settings.meterRegistry(), settings.groupId(), settings.instanceId());
    this.deadLetterProducer =
        new DeadLetterProducer(
            settings.consumerProperties(),
            settings.instanceId(),
            DEAD_LETTER_BACKOFF,
            ticker);
  }

  @Override
  public void start() {
    lifecycle.moveFrom(ComponentState.CREATED, ComponentState.STARTING);
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
      offsets =
          new OffsetTable(dialect, settings.offsetTable(), settings.groupId(), settings.lockWait());
      if (settings.createOffsetTable()) {
        createOffsetTable();
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

  /**
   * Creates the offset table when absent. Instances that start together race on it: PostgreSQL's
   * CREATE TABLE IF NOT EXISTS can still fail with a duplicate key in its catalog when another
   * session creates the same table at the same moment; the second try finds the table.
   */
  private void createOffsetTable() throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = dataSource.getConnection()) {
        offsets.create(c);
        return;
      } catch (SQLException e) {
        if (!CREATE_TABLE_RACE.canRetryAfter(attempt)) {
          throw e;
        }
        log.debug("creating {} raced with another instance, trying again: {}", offsets.table(), e);
        try {
          ticker.sleep(CREATE_TABLE_RACE.backoffAfter(attempt));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
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
      if (consumer != null) {
        consumer.wakeup();
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

  private boolean running() {
    return lifecycle.is(ComponentState.RUNNING);
  }

  // ---- engine thread ---------------------------------------------------------------------------

  private void run() {
    try {
      consumer.subscribe(settings.topics(), new Listener());
      while (running()) {
        ConsumerRecords<byte[], byte[]> polled;
        try {
          polled = consumer.poll(settings.pollTimeout());
        } catch (WakeupException e) {
          continue;
        }
        if (!polled.isEmpty()) {
          skip.clear();
          process(polled);
        }
        if (!unclaimed.isEmpty() && ticker.nanoTime() - nextClaim >= 0) {
          claimPending();
        }
        mirrorToKafka();
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

  /**
   * Mirrors database offsets to Kafka at most every {@link #MIRROR_INTERVAL}: lag monitoring needs
   * no more, and a commit per batch would cost the broker a write each.
   */
  private void mirrorToKafka() {
    if (unmirrored.isEmpty() || ticker.nanoTime() - lastMirror < MIRROR_INTERVAL.toNanos()) {
      return;
    }
    lastMirror = ticker.nanoTime();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(unmirrored);
    unmirrored.clear();
    // For lag monitoring only: the database holds the position the sink resumes from.
    consumer.commitAsync(
        offsets,
        (committed, e) -> {
          if (e != null) {
            log.debug("mirroring offsets to Kafka failed (monitoring only): {}", e.toString());
          }
        });
  }

  private void closeClients() {
    if (consumer != null && !unmirrored.isEmpty()) {
      try {
        consumer.commitSync(new HashMap<>(unmirrored), CLIENT_CLOSE);
      } catch (RuntimeException e) {
        log.debug("last offset mirror to Kafka failed (monitoring only): {}", e.toString());
      }
    }
    if (consumer != null) {
      try {
        consumer.close(CloseOptions.timeout(CLIENT_CLOSE));
      } catch (RuntimeException e) {
        log.warn("closing the consumer of db sink {}: {}", settings.instanceId(), e.toString());
      }
    }
    deadLetterProducer.close(CLIENT_CLOSE);
    closeQuietly(ownedPool);
  }

  /** A polled record, raw for the dead-letter topic and typed for the handler (null if bad). */
  private record Item<K, V>(
      ConsumerRecord<byte[], byte[]> raw, ConsumerRecord<K, V> typed, TopicPartition tp) {}

  /** Splits the poll into transactions bounded by records and bytes, in poll order. */
  private void process(ConsumerRecords<byte[], byte[]> polled) {
    List<Item<K, V>> batch = new ArrayList<>();
    long bytes = 0;
    for (ConsumerRecord<byte[], byte[]> raw : polled) {
      TopicPartition tp = new TopicPartition(raw.topic(), raw.partition());
      if (!running()) {
        return;
      }
      if (skip.contains(tp) || !owned.containsKey(tp)) {
        continue;
      }
      ConsumerRecord<K, V> typed;
      try {
        typed = deserialize(raw);
      } catch (RuntimeException e) {
        runBatch(batch);
        batch = new ArrayList<>();
        bytes = 0;
        if (!skip.contains(tp) && owned.containsKey(tp)) {
          deadLetter(new Item<>(raw, null, tp), e, DeadLetterReason.DESERIALIZATION, 1);
        }
        continue;
      }
      long size = Math.max(0, raw.serializedKeySize()) + Math.max(0, raw.serializedValueSize());
      if (!batch.isEmpty()
          && (batch.size() >= settings.maxBatchRecords()
              || bytes + size > settings.maxBatchBytes())) {
        runBatch(batch);
        batch = new ArrayList<>();
        bytes = 0;
      }
      batch.add(new Item<>(raw, typed, tp));
      bytes += size;
    }
    runBatch(batch);
  }

  private ConsumerRecord<K, V> deserialize(ConsumerRecord<byte[], byte[]> raw) {
    K key = settings.keyDeserializer().deserialize(raw.topic(), raw.headers(), raw.key());
    V value = settings.valueDeserializer().deserialize(raw.topic(), raw.headers(), raw.value());
    return new ConsumerRecord<>(
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
  }

  private List<Item<K, V>> live(List<Item<K, V>> items) {
    List<Item<K, V>> out = new ArrayList<>(items.size());
    for (Item<K, V> i : items) {
      if (!skip.contains(i.tp()) && owned.containsKey(i.tp())) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * Commits {@code items} in one transaction: retries transient errors with backoff, drops
   * partitions it turns out to have lost, and bisects on any other error until the record at fault
   * stands alone and goes to the dead-letter topic.
   */
  private void runBatch(List<Item<K, V>> items) {
    List<Item<K, V>> batch = live(items);
    int attempt = 1;
    while (!batch.isEmpty() && running()) {
      Outcome outcome = transact(batch, true);
      if (outcome.committed()) {
        return;
      }
      if (!outcome.refused().isEmpty()) {
        resolveRefused(outcome.refused());
        batch = live(batch);
        continue;
      }
      Exception error = outcome.error();
      if (dialect.isTransient(error)) {
        if (settings.retry().canRetryAfter(attempt)) {
          metrics.retries.increment();
          Duration wait = settings.retry().backoffAfter(attempt);
          log.warn(
              "db sink {}: transient database error on a batch of {} (attempt {}), retrying in {}:"
                  + " {}",
              settings.instanceId(),
              batch.size(),
              attempt,
              wait,
              error.toString());
          pause(wait);
          attempt++;
          continue;
        }
        rewind(batch, error);
        return;
      }
      if (batch.size() == 1) {
        deadLetter(batch.get(0), error, DeadLetterReason.NON_RETRIABLE, attempt);
        return;
      }
      int half = batch.size() / 2;
      List<Item<K, V>> first = new ArrayList<>(batch.subList(0, half));
      List<Item<K, V>> second = new ArrayList<>(batch.subList(half, batch.size()));
      log.debug("db sink: bisecting a failed batch of {}: {}", batch.size(), error.toString());
      runBatch(first);
      runBatch(second);
      return;
    }
  }

  /** The result of one transaction: committed, refused by the offset table, or failed. */
  private record Outcome(boolean committed, Set<TopicPartition> refused, Exception error) {
    static final Outcome COMMITTED = new Outcome(true, Set.of(), null);
  }

  /**
   * One transaction: the handler's rows (when {@code withHandler}) and the offsets past {@code
   * items}, fenced by epoch. Never throws for database or handler errors; returns them.
   */
  private Outcome transact(List<Item<K, V>> items, boolean withHandler) {
    Map<TopicPartition, Long> next = new LinkedHashMap<>();
    for (Item<K, V> i : items) {
      next.merge(i.tp(), i.raw().offset() + 1, Math::max);
    }
    long started = ticker.nanoTime();
    try (Connection c = dataSource.getConnection()) {
      Transactions.run(
          c,
          connection -> {
            settings.faults().reached(FaultPoint.SINK_BEFORE_HANDLER);
            if (withHandler) {
              List<ConsumerRecord<K, V>> records = new ArrayList<>(items.size());
              items.forEach(i -> records.add(i.typed()));
              metrics.recordsIn.increment(records.size());
              callHandler(Collections.unmodifiableList(records), connection);
            }
            settings.faults().reached(FaultPoint.SINK_INSIDE_DB_TRANSACTION);
            Set<TopicPartition> refused = offsets.advance(connection, next, owned);
            if (!refused.isEmpty()) {
              throw new RefusedCommit(refused);
            }
            return null;
          });
    } catch (RefusedCommit r) {
      return new Outcome(false, r.partitions, null);
    } catch (Exception e) {
      return new Outcome(false, Set.of(), e);
    }
    metrics.commitLatency.record(ticker.nanoTime() - started, TimeUnit.NANOSECONDS);
    if (withHandler) {
      metrics.batchSize.record(items.size());
      metrics.recordsCommitted.increment(items.size());
    }
    next.forEach(
        (tp, offset) -> {
          owned.put(tp, new Position(offset, owned.get(tp).epoch()));
          unmirrored.put(tp, new OffsetAndMetadata(offset));
        });
    settings.faults().reached(FaultPoint.SINK_AFTER_DB_COMMIT);
    return Outcome.COMMITTED;
  }

  private void callHandler(List<ConsumerRecord<K, V>> records, Connection c) throws Exception {
    try {
      settings.handler().handle(records, c);
    } catch (Exception e) {
      throw e;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      // An AssertionError or LinkageError from user code must not kill the engine thread.
      throw new HandlerFailedException(t);
    }
  }

  /** The offset table refused these partitions: the transaction must roll back, not commit. */
  private static final class RefusedCommit extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Set<TopicPartition> partitions;

    RefusedCommit(Set<TopicPartition> partitions) {
      super("offset table refused " + partitions, null, false, false);
      this.partitions = partitions;
    }
  }

  /** Wraps a non-{@code Exception} throwable from the handler; a poison-path failure. */
  static final class HandlerFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    HandlerFailedException(Throwable cause) {
      super("the batch handler threw " + cause, cause);
    }
  }

  /**
   * After the offset table refused partitions: a fresh read tells whether another instance took
   * them (fenced: drop their records and pause them until Kafka reassigns them) or our own commit
   * went through although it reported an error (resume from the database's offset).
   */
  private void resolveRefused(Set<TopicPartition> refused) {
    Map<TopicPartition, Position> now = new HashMap<>();
    withRetries(
        "reading the offset table",
        () -> {
          try (Connection c = dataSource.getConnection()) {
            for (TopicPartition tp : refused) {
              now.put(tp, offsets.read(c, tp));
            }
          }
        });
    boolean fenced = false;
    for (TopicPartition tp : refused) {
      Position ours = owned.get(tp);
      Position db = now.get(tp);
      skip.add(tp);
      if (ours == null) {
        continue;
      }
      if (db == null || db.epoch() != ours.epoch()) {
        metrics.fencedCommits.increment();
        fenced = true;
        owned.remove(tp);
        unclaimed.add(tp);
        consumer.pause(List.of(tp));
        log.warn(
            "db sink {}: commit FENCED for {}: another instance claimed it (epoch {} > ours {});"
                + " rolled back, dropped its buffered records and paused it; asked Kafka for a"
                + " rebalance, and claims it again in {} if Kafka still assigns it here",
            settings.instanceId(),
            tp,
            db == null ? "row gone" : db.epoch(),
            ours.epoch(),
            RECLAIM_AFTER_FENCE);
      } else {
        log.warn(
            "db sink {}: {} is at offset {} in the database, not {} as expected (a commit that"
                + " reported an error went through); resuming from the database",
            settings.instanceId(),
            tp,
            db.nextOffset(),
            ours.nextOffset());
        owned.put(tp, db);
        seekTo(tp, db);
      }
    }
    if (fenced) {
      // The epoch says another instance owns these partitions, but Kafka still assigns them here.
      // Either that instance is the rightful owner and this one was dropped from the group without
      // noticing yet, or its claim landed late (it was frozen past its session inside its own
      // assignment) and it is no longer a member. Waiting for Kafka to move the partitions can
      // then wait forever: nothing in the group changes. A rebalance makes Kafka's owner claim
      // them again in a new generation; if Kafka still assigns them here afterwards (or cannot
      // rebalance on request), this instance claims them itself after RECLAIM_AFTER_FENCE.
      consumer.enforceRebalance("exactly db sink: commit fenced by a newer epoch");
      nextClaim = ticker.nanoTime() + RECLAIM_AFTER_FENCE.toNanos();
    }
  }

  /**
   * Claims, one transaction each, the partitions Kafka assigned here that the database does not
   * show as ours yet. A partition whose claim fails transiently (its row locked past the lock wait,
   * the database unreachable) stays paused and is tried again later while the engine keeps polling:
   * the consumer stays a live member of the group, its other partitions keep moving, and no other
   * member waits on it in a rebalance.
   *
   * @throws IllegalStateException when a claim fails for a reason retrying cannot fix
   */
  private void claimPending() {
    unclaimed.retainAll(consumer.assignment());
    List<TopicPartition> todo = new ArrayList<>(unclaimed);
    todo.sort(ORDER);
    Map<TopicPartition, Position> claimed = new LinkedHashMap<>();
    boolean failed = false;
    Duration wait = CLAIM_BACKOFF.backoffAfter(claimFailures + 1);
    for (TopicPartition tp : todo) {
      if (!running()) {
        break;
      }
      try {
        claimed.putAll(claim(tp));
      } catch (SQLException e) {
        boolean retriable =
            dialect.isTransient(e)
                || dialect.classify(e) == dev.exactly.jdbc.SqlErrorKind.DUPLICATE_KEY;
        if (!retriable) {
          throw new IllegalStateException(
              "claiming "
                  + tp
                  + " in "
                  + offsets.table()
                  + " failed: "
                  + e.getMessage()
                  + "; fix the database or the offset table, then start a new sink",
              e);
        }
        metrics.retries.increment();
        failed = true;
        log.warn(
            "db sink {}: cannot claim {} yet, it stays paused and the claim is tried again in {}"
                + " (the sink keeps polling): {}",
            settings.instanceId(),
            tp,
            wait,
            e.toString());
      }
    }
    if (failed) {
      nextClaim = ticker.nanoTime() + wait.toNanos();
      claimFailures++;
    } else {
      claimFailures = 0;
    }
    if (claimed.isEmpty()) {
      return;
    }
    claimed.forEach(
        (tp, p) -> {
          owned.put(tp, p);
          unclaimed.remove(tp);
          skip.remove(tp);
          seekTo(tp, p);
        });
    consumer.resume(claimed.keySet());
    log.info(
        "db sink {}: claimed {} (epoch, next offset from the database: {})",
        settings.instanceId(),
        claimed.keySet(),
        claimed);
  }

  /** Bumps one partition's epoch in its own transaction: this instance now owns it. */
  private Map<TopicPartition, Position> claim(TopicPartition tp) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return Transactions.<Map<TopicPartition, Position>, RuntimeException>run(
          c, connection -> offsets.claim(connection, List.of(tp)));
    }
  }

  /** Transient errors outlasted the retry policy: poll these partitions again from the database. */
  private void rewind(List<Item<K, V>> batch, Exception error) {
    Map<TopicPartition, Long> first = new LinkedHashMap<>();
    for (Item<K, V> i : batch) {
      first.putIfAbsent(i.tp(), i.raw().offset());
    }
    log.warn(
        "db sink {}: transient database errors outlasted {}; polling {} again: {}",
        settings.instanceId(),
        settings.retry(),
        first.keySet(),
        error.toString());
    first.forEach(
        (tp, offset) -> {
          consumer.seek(tp, offset);
          skip.add(tp);
        });
    pause(settings.retry().maxBackoff());
  }

  /**
   * Sends one record to its dead-letter topic with the reason, then commits its offset alone. The
   * send comes first: a crash between the two re-sends the record (a duplicate in the dead-letter
   * topic), never loses it.
   */
  private void deadLetter(
      Item<K, V> item, Exception error, DeadLetterReason reason, int attempts) {
    TopicPartition tp = item.tp();
    Position ours = owned.get(tp);
    Position[] db = new Position[1];
    withRetries(
        "reading the offset table",
        () -> {
          try (Connection c = dataSource.getConnection()) {
            db[0] = offsets.read(c, tp);
          }
        });
    if (db[0] == null || !db[0].equals(ours)) {
      // The failure may have come from having lost the partition (another owner's rows).
      resolveRefused(Set.of(tp));
      return;
    }
    ConsumerRecord<byte[], byte[]> raw = item.raw();
    // The user's exception, not the engine's wrapper around a non-Exception throwable.
    Throwable cause = error instanceof HandlerFailedException ? error.getCause() : error;
    String topic = deadLetterTopicOf(raw.topic());
    boolean sent;
    try {
      sent =
          deadLetterProducer.send(
              DeadLetters.ofRecord(topic, raw, reason, cause, attempts), this::running);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (!sent) {
      // Stopping before Kafka had it: the offset stays, the next owner reads the record again.
      return;
    }
    metrics.deadLetters.increment();
    log.warn(
        "db sink {}: {}@{} sent to {} ({}): {}",
        settings.instanceId(),
        tp,
        raw.offset(),
        topic,
        reason,
        cause.toString());
    settings.faults().reached(FaultPoint.SINK_AFTER_DEAD_LETTER);
    int attempt = 1;
    while (running()) {
      Outcome outcome = transact(List.of(item), false);
      if (outcome.committed()) {
        return;
      }
      if (!outcome.refused().isEmpty()) {
        resolveRefused(outcome.refused());
        return;
      }
      if (!dialect.isTransient(outcome.error()) || !settings.retry().canRetryAfter(attempt)) {
        rewind(List.of(item), outcome.error());
        return;
      }
      metrics.retries.increment();
      pause(settings.retry().backoffAfter(attempt++));
    }
  }

  /** The fixed override when given, else the topic's own {@code <topic>.dlt}. */
  private String deadLetterTopicOf(String topic) {
    return settings.deadLetterTopic() != null ? settings.deadLetterTopic() : topic + ".dlt";
  }

  private void seekTo(TopicPartition tp, Position p) {
    if (p.nextOffset() >= 0) {
      consumer.seek(tp, p.nextOffset());
    } else if ("latest"
        .equals(settings.consumerProperties().get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG))) {
      consumer.seekToEnd(List.of(tp));
    } else {
      consumer.seekToBeginning(List.of(tp));
    }
  }

  /** Claims, seeks and forgets partitions as Kafka assigns and revokes them. */
  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      // Paused until claimed: records of a partition not yet ours must not be fetched for nothing.
      unclaimed.addAll(partitions);
      consumer.pause(partitions);
      claimFailures = 0;
      claimPending();
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      log.warn(
          "db sink {}: lost {} without a clean revoke (session expired?); any late commit for them"
              + " will be fenced",
          settings.instanceId(),
          partitions);
      forget(partitions);
    }

    private void forget(Collection<TopicPartition> partitions) {
      owned.keySet().removeAll(partitions);
      unclaimed.removeAll(partitions);
      unmirrored.keySet().removeAll(partitions);
      skip.addAll(partitions);
    }
  }

  @FunctionalInterface
  private interface SqlWork {
    void run() throws SQLException;
  }

  /**
   * Runs {@code work}, retrying transient database errors by the retry policy, and retrying
   * duplicate-key races on new offset rows (two instances inserting the same new row at once).
   *
   * @throws IllegalStateException when the errors persist: the engine stops
   */
  private void withRetries(String what, SqlWork work) {
    for (int attempt = 1; ; attempt++) {
      try {
        work.run();
        return;
      } catch (SQLException e) {
        boolean retriable =
            dialect.isTransient(e)
                || dialect.classify(e) == dev.exactly.jdbc.SqlErrorKind.DUPLICATE_KEY;
        if (!retriable || !settings.retry().canRetryAfter(attempt)) {
          throw new IllegalStateException(
              what + " failed after " + attempt + " attempt(s): " + e.getMessage(), e);
        }
        metrics.retries.increment();
        pause(settings.retry().backoffAfter(attempt));
      }
    }
  }

  /** Waits on the ticker, but returns early when the sink is closing. */
  private void pause(Duration wait) {
    Waits.sleepWhileQuietly(ticker, wait, this::running);
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
