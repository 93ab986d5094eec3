package dev.exactly.processor;

import dev.exactly.ComponentState;
import dev.exactly.DeadLetterReason;
import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.Ticker;
import dev.exactly.internal.DeadLetters;
import dev.exactly.internal.Failures;
import dev.exactly.internal.KafkaSettings;
import dev.exactly.internal.Lifecycle;
import dev.exactly.internal.TransactionErrors;
import dev.exactly.internal.TransactionErrors.Call;
import dev.exactly.internal.TypedRecords;
import dev.exactly.internal.Waits;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll-process-commit loop behind {@link ExactlyOnceProcessor}, for both guarantees.
 *
 * <p>Everything below the public methods runs on the one engine thread, the rebalance callbacks
 * included (Kafka calls them inside {@code poll}), so the batch state needs no locks. The public
 * methods only read the state, start the thread and ask it to stop.
 *
 * <p>Exactly-once commits are pipelined: the engine hands a finished batch's {@code
 * sendOffsetsToTransaction} and {@code commitTransaction} to a committer thread and goes on polling
 * and processing the next batch while they run. One producer has one transaction at a time, so the
 * next batch's outputs are held in memory until the commit has returned; only then does the engine
 * begin the next transaction and send them ({@link HeldOutputs} says why they are copied). At most
 * one commit is in flight, and the engine waits for it (see {@link #settle}) before anything that
 * needs the committed positions: the next commit, an abort and rewind, a revocation, a loss, or
 * close. A batch whose interval passes while that commit still runs goes on growing for up to one
 * more interval rather than waiting (see {@link #commitRunning}). If the in-flight commit fails,
 * its transaction is aborted, the held outputs are dropped and every partition is rewound to its
 * last committed offset, exactly as when a batch fails on the engine thread.
 */
final class ProcessorEngine<K, V, OK, OV> implements ExactlyOnceProcessor {
  private static final Logger log = LoggerFactory.getLogger(ExactlyOnceProcessor.class);
  private static final Duration CLIENT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final ProcessorSettings settings;
  private final ProcessorMetrics metrics;
  private final Deserializer<K> keyDeserializer;
  private final Deserializer<V> valueDeserializer;
  private final BufferedOutput<OK, OV> out;
  private final RecordProcessor<K, V, OK, OV> function;
  private final String name;
  private final Ticker ticker;
  private final Lifecycle lifecycle;
  private final Reactions reactions;
  private final TransactionFailureHandler transactionFailures;

  private volatile long closeDeadlineNanos;
  // Set when close() gave up waiting and closed the producer under the engine: the engine then
  // closes the consumer at once, so close() still returns within its promised bound.
  private volatile boolean closeOverdue;
  private volatile Producer<byte[], byte[]> producer;

  // Engine thread only.
  private KafkaConsumer<byte[], byte[]> consumer;
  private final Map<TopicPartition, Long> committed = new HashMap<>();
  private final Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
  // Failed attempts per record, kept until the record's offset commits: an abort caused by another
  // record must neither reset a count nor undo a decision to give a record up.
  private final Map<TopicPartition, TreeMap<Long, Failure>> failures = new HashMap<>();
  private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
  private boolean batchOpen;
  // Exactly-once only: whether the open batch's transaction has begun. Until it has (while the
  // previous batch commits), the batch's outputs wait in held.
  private boolean transactionOpen;
  private final HeldOutputs held = new HeldOutputs();
  private InFlight inFlight;
  private ExecutorService committer;
  private int batchRecords;
  // At-least-once only: a commit met a rebalance in progress; it is retried once the next poll has
  // moved the rebalance on, not at every record until then.
  private boolean commitAfterPoll;
  private long batchStartNanos;
  private long batchNumber;
  private RuntimeException listenerFailure;

  @SuppressWarnings("unchecked")
  ProcessorEngine(ProcessorSettings settings, MeterRegistry registry) {
    this.settings = settings;
    this.keyDeserializer = (Deserializer<K>) settings.keyDeserializer();
    this.valueDeserializer = (Deserializer<V>) settings.valueDeserializer();
    this.out =
        new BufferedOutput<>(
            (Serializer<OK>) settings.keySerializer(), (Serializer<OV>) settings.valueSerializer());
    this.function = (RecordProcessor<K, V, OK, OV>) settings.processor();
    this.name = settings.name();
    this.ticker = settings.ticker();
    this.lifecycle = new Lifecycle("processor " + name);
    this.metrics = new ProcessorMetrics(registry, settings.groupId(), settings.instanceId());
    this.reactions = new Reactions();
    this.transactionFailures = new TransactionFailureHandler(name, reactions);
  }

  @Override
  public void start() {
    if (lifecycle.is(ComponentState.CREATED)) {
      // Before leaving CREATED, so a refused start can be retried once the topic exists.
      TopicCheck.requireTopics(settings);
    }
    lifecycle.moveFrom(ComponentState.CREATED, ComponentState.STARTING);
    Thread t = new Thread(this::run, "exactly-processor-" + name);
    t.setDaemon(false);
    t.start();
  }

  @Override
  public ComponentState state() {
    return lifecycle.state();
  }

  @Override
  public Optional<Throwable> failure() {
    return lifecycle.failure();
  }

  /** For tests: the registry the meters are in (the private one when none was given). */
  MeterRegistry meterRegistry() {
    return metrics.registry();
  }

  @Override
  public boolean close(Duration timeout) {
    closeDeadlineNanos = ticker.nanoTime() + timeout.toNanos();
    if (lifecycle.is(ComponentState.CREATED) && lifecycle.tryMoveTo(ComponentState.CLOSED)) {
      lifecycle.terminated();
      return true;
    }
    if (!lifecycle.state().isTerminal()) {
      lifecycle.tryMoveTo(ComponentState.CLOSING);
    }
    try {
      if (lifecycle.awaitTermination(timeout)) {
        return true;
      }
      // The engine is stuck in a commit: closing the producer under it aborts the transaction,
      // which is the promised outcome when the batch cannot commit in time.
      closeOverdue = true;
      Producer<byte[], byte[]> p = producer;
      if (p != null) {
        p.close(Duration.ZERO);
      }
      return lifecycle.awaitTermination(CLIENT_CLOSE_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return lifecycle.awaitTermination(timeout);
  }

  /** Whether the engine goes on polling: starting (waiting for its first assignment) or running. */
  private boolean running() {
    ComponentState s = lifecycle.state();
    return s == ComponentState.STARTING || s == ComponentState.RUNNING;
  }

  private void run() {
    try {
      openClients();
      while (running()) {
        pollAndProcess();
      }
      finishOpenBatch();
      lifecycle.tryMoveTo(ComponentState.CLOSED);
    } catch (Fenced e) {
      log.warn(
          "processor {} is fenced: another instance owns its transactional.id or its partitions;"
              + " it stops and must not be restarted under the same instance id while the other"
              + " runs: {}",
          name,
          e.getCause().toString());
      lifecycle.fence(e.getCause());
    } catch (Throwable e) {
      Throwable cause = e instanceof TransactionFailureHandler.Fatal ? e.getCause() : e;
      log.error("processor {} failed and stopped", name, cause);
      abortQuietly();
      lifecycle.fail(cause);
    } finally {
      closeClients();
      lifecycle.terminated();
    }
  }

  private void openClients() {
    log.info(
        "processor {} ({}) starting with consumer {} and producer {}",
        name,
        settings.guarantee(),
        KafkaSettings.masked(settings.consumerProperties()),
        KafkaSettings.masked(settings.producerProperties()));
    producer = settings.newProducer();
    if (settings.exactlyOnce()) {
      initTransactions();
      committer =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "exactly-committer-" + name);
                t.setDaemon(true);
                return t;
              });
    }
    consumer = new KafkaConsumer<>(settings.consumerProperties());
    consumer.subscribe(List.of(settings.inputTopic()), new Rebalance());
  }

  private void pollAndProcess() {
    ConsumerRecords<byte[], byte[]> records = consumer.poll(settings.pollTimeout());
    commitAfterPoll = false;
    throwListenerFailure();
    try {
      if (!catchUp()) {
        return;
      }
      for (ConsumerRecord<byte[], byte[]> record : records) {
        process(record);
        // Either way, a false means the partitions were rewound: the rest of this poll's records
        // lie past the rewind point and will come again.
        boolean full =
            (batchRecords >= settings.maxBatchRecords() || held.full()) && !commitAfterPoll;
        if (full ? !commitBatch(false) : !catchUp()) {
          return;
        }
      }
    } catch (KafkaException e) {
      // A send or begin refused by the producer: the batch cannot commit. The commit in flight,
      // if any, settles first, so that the rewind points include it.
      if (settle(true)) {
        failed(e, Call.OTHER, batchNumber);
      }
      return;
    } catch (Rewind r) {
      log.warn(
          "processor {}: batch {} aborted after a transient failure (attempt {}), retrying in {}",
          name,
          batchNumber,
          r.attempt,
          r.backoff,
          r.getCause());
      abortAndRewind();
      sleepWhileRunning(r.backoff);
      return;
    }
    long open = ticker.nanoTime() - batchStartNanos;
    long interval = settings.commitInterval().toNanos();
    if (batchOpen
        && !commitAfterPoll
        && open >= interval
        && (records.isEmpty() || !commitRunning() || open >= 2 * interval)) {
      commitBatch(false);
    }
    long lag = 0;
    for (TopicPartition tp : consumer.assignment()) {
      lag += consumer.currentLag(tp).orElse(0);
    }
    metrics.lag(lag);
  }

  private void process(ConsumerRecord<byte[], byte[]> raw) {
    TopicPartition tp = new TopicPartition(raw.topic(), raw.partition());
    openBatch();
    metrics.recordsIn.increment();
    K key;
    V value;
    try {
      key = keyDeserializer.deserialize(raw.topic(), raw.headers(), raw.key());
      value = valueDeserializer.deserialize(raw.topic(), raw.headers(), raw.value());
    } catch (RuntimeException e) {
      deadLetter(raw, e, DeadLetterReason.DESERIALIZATION, 1);
      advance(tp, raw);
      return;
    }
    TreeMap<Long, Failure> partitionFailures = failures.get(tp);
    Failure failed = partitionFailures == null ? null : partitionFailures.get(raw.offset());
    if (failed != null && failed.givenUp()) {
      // Given up in a batch that then aborted for another record: the decision stands, and the
      // function is not called again.
      deadLetter(raw, failed.last(), DeadLetterReason.RETRIES_EXHAUSTED, failed.attempts());
      advance(tp, raw);
      return;
    }
    int attempt = failed == null ? 1 : failed.attempts() + 1;
    out.reset(batchNumber);
    try {
      function.process(TypedRecords.typed(raw, key, value), out);
    } catch (Exception e) {
      if (settings.failures().isNonRetriable(e)) {
        deadLetter(raw, e, DeadLetterReason.NON_RETRIABLE, attempt);
      } else if (!settings.retry().canRetryAfter(attempt)) {
        failures
            .computeIfAbsent(tp, k -> new TreeMap<>())
            .put(raw.offset(), new Failure(attempt, e, true));
        deadLetter(raw, e, DeadLetterReason.RETRIES_EXHAUSTED, attempt);
      } else {
        failures
            .computeIfAbsent(tp, k -> new TreeMap<>())
            .put(raw.offset(), new Failure(attempt, e, false));
        throw new Rewind(e, attempt, settings.retry().backoffAfter(attempt));
      }
      advance(tp, raw);
      return;
    } finally {
      out.close();
    }
    for (BufferedOutput.Serialized o : out.outputs()) {
      send(o.topic(), o.partition(), o.key(), o.value(), o.headers());
      metrics.recordsOut.increment();
    }
    advance(tp, raw);
  }

  private void advance(TopicPartition tp, ConsumerRecord<byte[], byte[]> raw) {
    pending.put(tp, new OffsetAndMetadata(raw.offset() + 1, raw.leaderEpoch(), ""));
    batchRecords++;
  }

  /**
   * Gives a record up to the dead-letter topic, in the batch's transaction. The dead letter's own
   * timestamp is now, on the ticker: the record may be held and sent later, and the dead-letter
   * topic's retention must count from the time it was given up.
   */
  private void deadLetter(
      ConsumerRecord<byte[], byte[]> raw, Exception e, DeadLetterReason why, int tries) {
    ProducerRecord<byte[], byte[]> built =
        DeadLetters.ofRecord(settings.deadLetterTopic(), raw, why, e, tries);
    ProducerRecord<byte[], byte[]> letter =
        new ProducerRecord<>(
            built.topic(), null, ticker.millis(), built.key(), built.value(), built.headers());
    log.warn(
        "processor {}: {}-{}@{} goes to dead-letter topic {} ({}, {} attempt(s)): {}",
        name,
        raw.topic(),
        raw.partition(),
        raw.offset(),
        settings.deadLetterTopic(),
        why,
        tries,
        e.toString());
    if (settings.exactlyOnce() && !transactionOpen) {
      held.add(letter);
    } else {
      send(letter);
    }
    metrics.deadLetters.increment();
  }

  private void send(String topic, Integer partition, byte[] key, byte[] value, Headers headers) {
    if (settings.exactlyOnce() && !transactionOpen) {
      held.add(topic, partition, key, value, headers);
    } else {
      send(new ProducerRecord<>(topic, partition, null, key, value, headers));
    }
  }

  private void send(ProducerRecord<byte[], byte[]> record) {
    try {
      producer.send(
          record,
          (metadata, e) -> {
            if (e != null) {
              sendFailure.compareAndSet(null, e);
            }
          });
    } catch (KafkaException e) {
      if (Failures.isFenced(e)) {
        throw new Fenced(e);
      }
      throw e;
    }
  }

  private void openBatch() {
    if (batchOpen) {
      return;
    }
    batchOpen = true;
    if (inFlight == null) {
      beginTransaction();
    }
    batchNumber++;
    batchRecords = 0;
    batchStartNanos = ticker.nanoTime();
    sendFailure.set(null);
    metrics.batches.increment();
  }

  /**
   * Begins the open batch's transaction (exactly-once) and sends the outputs held while the
   * previous batch committed. Only once no commit is in flight.
   */
  private void beginTransaction() {
    if (!settings.exactlyOnce() || transactionOpen) {
      return;
    }
    producer.beginTransaction(); // a failure is handled by type in pollAndProcess
    transactionOpen = true;
    held.drainTo(this::send);
  }

  /**
   * Commits the open batch: outputs, dead letters and offsets together (exactly-once), or flushes
   * the sends and then commits the offsets (at-least-once). A failed commit aborts and rewinds.
   *
   * <p>Exactly-once, the commit runs on the committer thread; with {@code wait} the engine waits
   * for it (a revocation, close), otherwise it returns at once and the next batch starts.
   *
   * @return false if a batch was dropped and every partition rewound
   */
  private boolean commitBatch(boolean wait) {
    if (!settle(true)) {
      return false; // the batch before failed, and this one was dropped with it
    }
    if (!batchOpen) {
      return true;
    }
    beginTransaction();
    FaultInjection faults = settings.faults();
    faults.reached(FaultPoint.PROCESSOR_AFTER_SENDS_BEFORE_COMMIT);
    Map<TopicPartition, OffsetAndMetadata> offsets = Map.copyOf(pending);
    if (settings.exactlyOnce()) {
      // Read here: the consumer belongs to this thread, and the offsets must carry the generation
      // of the assignment they were consumed under.
      ConsumerGroupMetadata group = consumer.groupMetadata();
      long batch = batchNumber;
      InFlight commit = new InFlight(batch, offsets, ticker.nanoTime());
      commit.result =
          CompletableFuture.runAsync(
              () -> {
                try {
                  commitTransaction(offsets, group, commit);
                } finally {
                  commit.doneNanos = ticker.nanoTime();
                }
              },
              committer);
      inFlight = commit;
      pending.clear();
      batchOpen = false;
      transactionOpen = false;
      batchRecords = 0;
      return !wait || settle(true);
    }
    long start = ticker.nanoTime();
    try {
      producer.flush();
    } catch (KafkaException e) {
      failed(e, Call.OTHER, batchNumber);
      return false;
    }
    Exception sendFailed = sendFailure.getAndSet(null);
    if (sendFailed != null) {
      failed(
          new KafkaException("a send of batch " + batchNumber + " failed", sendFailed),
          Call.OTHER,
          batchNumber);
      return false;
    }
    try {
      faults.reached(FaultPoint.PROCESSOR_DURING_COMMIT);
      if (!offsets.isEmpty()) {
        consumer.commitSync(offsets);
      }
    } catch (RebalanceInProgressException e) {
      // The outputs are out already; only the offsets wait. The rebalance completes in the next
      // poll (a revocation commits there), so keep the batch open and try again after it instead
      // of rewinding and sending the batch once more per failed attempt.
      log.info(
          "processor {}: commit of batch {} waits for a rebalance; retrying after the next poll",
          name,
          batchNumber);
      commitAfterPoll = true;
      return true;
    } catch (KafkaException e) {
      log.warn(
          "processor {}: commit of batch {} failed; aborting and rewinding", name, batchNumber, e);
      abortAndRewind();
      return false;
    }
    pending.clear();
    batchOpen = false;
    batchRecords = 0;
    long took = ticker.nanoTime() - start;
    metrics.commitWait.record(took, TimeUnit.NANOSECONDS); // the engine waits for every commit
    committed(offsets, took);
    return true;
  }

  /**
   * On the committer thread: puts the offsets into the transaction and commits it, recording in
   * {@code commit} which call failed, if one does.
   */
  private void commitTransaction(
      Map<TopicPartition, OffsetAndMetadata> offsets,
      ConsumerGroupMetadata group,
      InFlight commit) {
    if (!offsets.isEmpty()) {
      producer.sendOffsetsToTransaction(offsets, group);
    }
    settings.faults().reached(FaultPoint.PROCESSOR_DURING_COMMIT);
    commit.failedCall = Call.COMMIT;
    commitTransactionRetryingTimeouts(commit.batch);
  }

  /**
   * Whether the commit in flight is still running. While it is and records keep coming, a batch
   * past its interval stays open instead of waiting, for at most one more interval: it could not
   * commit before that commit returns anyway, and growing it meanwhile spreads each transaction's
   * fixed requests over more records (measured in exactly-bench: exactly-once / at-least-once went
   * from 0.79 to 0.90, together with the 50,000-record default). The bound keeps a slow commit
   * (brokers being killed) from letting one batch take in a whole backlog that the next crash
   * throws away: unbounded, a short soak run carried 40,000 records in 3 transactions and stalled.
   */
  private boolean commitRunning() {
    return inFlight != null && !inFlight.result.isDone();
  }

  /**
   * Without waiting: books the commit in flight if it has finished and, once none is in flight,
   * begins the open batch's transaction so its held outputs go out. Returns false as {@link
   * #settle} does.
   */
  private boolean catchUp() {
    if (!settle(false)) {
      return false;
    }
    if (inFlight == null && batchOpen) {
      beginTransaction();
    }
    return true;
  }

  /**
   * Collects the result of the commit in flight, if any: waiting for it with {@code block},
   * otherwise only if it has finished. Returns false if it failed: its transaction is then aborted,
   * the batch opened after it is dropped and every partition rewound to its last commit.
   *
   * @throws Fenced if the commit found this instance fenced
   */
  private boolean settle(boolean block) {
    InFlight commit = inFlight;
    if (commit == null || (!block && !commit.result.isDone())) {
      return true;
    }
    inFlight = null;
    Throwable failed = null;
    boolean interrupted = false;
    long waitStart = ticker.nanoTime();
    boolean waited = !commit.result.isDone();
    while (true) {
      try {
        commit.result.get();
        break;
      } catch (ExecutionException e) {
        failed = e.getCause();
        break;
      } catch (InterruptedException e) {
        // The commit cannot be abandoned half way: wait it out, then restore the interrupt.
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    metrics.commitWait.record(waited ? ticker.nanoTime() - waitStart : 0, TimeUnit.NANOSECONDS);
    if (failed == null) {
      committed(commit.offsets, commit.doneNanos - commit.startNanos);
      return true;
    }
    if (failed instanceof Error err) {
      throw err;
    }
    if (!(failed instanceof KafkaException)) {
      // Not a failure of this batch but of the engine (as on the engine thread, it stops it).
      throw failed instanceof RuntimeException r ? r : new IllegalStateException(failed);
    }
    // The failed commit's transaction is the one to abort: none other is open while it runs.
    transactionOpen = true;
    failed(failed, commit.failedCall, commit.batch);
    return false;
  }

  /**
   * A producer call failed: reacts by the error's class (abort and rewind, a new producer, fenced,
   * failed). Returns once the partitions are rewound.
   */
  private void failed(Throwable failure, Call call, long batch) {
    boolean open = batchOpen || transactionOpen;
    TransactionErrors.Reaction reaction = transactionFailures.handle(failure, call, batch);
    if (open && reaction != TransactionErrors.Reaction.RETRY_COMMIT) {
      metrics.aborts.increment();
    }
  }

  /** The engine's side of {@link TransactionFailureHandler}'s reactions. */
  private final class Reactions implements TransactionFailureHandler.Actions {
    @Override
    public void abort() {
      if (transactionOpen) {
        transactionOpen = false;
        producer.abortTransaction();
      }
    }

    @Override
    public void rewind() {
      dropBatchAndRewind();
    }

    @Override
    public void recreateProducer() {
      transactionOpen = false;
      Producer<byte[], byte[]> old = producer;
      try {
        old.close(Duration.ZERO);
      } catch (RuntimeException e) {
        log.debug("processor {}: closing the forgotten producer failed", name, e);
      }
      producer = settings.newProducer();
      initTransactions();
    }
  }

  /** Fences any earlier incarnation of this instance and aborts its open transaction. */
  private void initTransactions() {
    try {
      producer.initTransactions();
    } catch (KafkaException e) {
      if (Failures.isFenced(e)) {
        throw new Fenced(e);
      }
      throw e;
    }
  }

  /** Books a successful commit: its offsets are the new rewind points. */
  private void committed(Map<TopicPartition, OffsetAndMetadata> offsets, long latencyNanos) {
    metrics.commitLatency.record(latencyNanos, TimeUnit.NANOSECONDS);
    metrics.commits.increment();
    offsets.forEach(
        (tp, o) -> {
          // A partition given up since is not ours to track any more.
          if (committed.containsKey(tp)) {
            committed.put(tp, o.offset());
          }
          TreeMap<Long, Failure> f = failures.get(tp);
          if (f != null) {
            f.headMap(o.offset()).clear();
          }
        });
    settings.faults().reached(FaultPoint.PROCESSOR_AFTER_COMMIT);
  }

  private void commitTransactionRetryingTimeouts(long batch) {
    while (true) {
      try {
        producer.commitTransaction();
        return;
      } catch (KafkaException e) {
        // A timeout: calling commitTransaction again resumes the same commit.
        boolean giveUp = !running() && ticker.nanoTime() > closeDeadlineNanos;
        if (!transactionFailures.retryCommit(e, giveUp)) {
          throw e;
        }
        log.warn("processor {}: commit of batch {} timed out; retrying", name, batch);
      }
    }
  }

  /**
   * Aborts the open batch (exactly-once) and seeks every partition back to its last commit, after
   * the commit in flight (if any) has finished, so that the rewind points include it.
   */
  private void abortAndRewind() {
    if (!settle(true)) {
      return; // the failed commit dropped the open batch and rewound already
    }
    if (batchOpen) {
      metrics.aborts.increment();
    }
    try {
      reactions.abort();
    } catch (KafkaException e) {
      // The abort failed: a forgotten producer is replaced, a fenced or refused one stops.
      transactionFailures.handle(e, Call.OTHER, batchNumber);
      return;
    }
    dropBatchAndRewind();
  }

  /** Forgets the open batch (its transaction, if any, is already aborted) and rewinds. */
  private void dropBatchAndRewind() {
    batchOpen = false;
    transactionOpen = false;
    held.clear();
    batchRecords = 0;
    pending.clear();
    sendFailure.set(null);
    // Only partitions still owned: a lost or revoked one was forgotten before this runs.
    committed.forEach(consumer::seek);
  }

  private void finishOpenBatch() {
    if (ticker.nanoTime() < closeDeadlineNanos) {
      commitBatch(true);
    } else {
      abortAndRewind();
    }
  }

  private void abortQuietly() {
    // A commit in flight fails on its own once the producer closes; only an open one is ours.
    if (transactionOpen && producer != null) {
      try {
        producer.abortTransaction();
      } catch (RuntimeException e) {
        log.debug("processor {}: abort after failure failed too", name, e);
      }
    }
  }

  private void closeClients() {
    try {
      if (consumer != null) {
        // An overdue close must not wait for a coordinator that does not answer; the offsets
        // live in the transactions, so leaving without a last commit loses nothing.
        consumer.close(CloseOptions.timeout(closeOverdue ? Duration.ZERO : CLIENT_CLOSE_TIMEOUT));
      }
    } catch (RuntimeException e) {
      log.warn("processor {}: closing the consumer failed", name, e);
    }
    try {
      if (producer != null) {
        producer.close(
            lifecycle.is(ComponentState.FENCED) || closeOverdue
                ? Duration.ZERO
                : CLIENT_CLOSE_TIMEOUT);
      }
    } catch (RuntimeException e) {
      log.warn("processor {}: closing the producer failed", name, e);
    }
    if (committer != null) {
      committer.shutdownNow();
    }
  }

  private void throwListenerFailure() {
    RuntimeException e = listenerFailure;
    if (e != null) {
      listenerFailure = null;
      throw e;
    }
  }

  private void sleepWhileRunning(Duration d) {
    Waits.sleepWhileQuietly(ticker, d, this::running);
  }

  private void forget(Collection<TopicPartition> partitions) {
    committed.keySet().removeAll(partitions);
    pending.keySet().removeAll(partitions);
    failures.keySet().removeAll(partitions);
  }

  /**
   * Called by Kafka inside {@code poll} on the engine thread. Failures are kept and rethrown after
   * the poll returns, so they are handled by type rather than wrapped by the consumer.
   */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      metrics.rebalances.increment();
      try {
        // Finish the work of these partitions before they go: their next owner starts from what
        // commits here, and this instance must never commit them later.
        if (listenerFailure == null) {
          commitBatch(true);
        }
      } catch (RuntimeException e) {
        listenerFailure = e;
      }
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      metrics.rebalances.increment();
      try {
        // A commit in flight finishes first (the broker refuses its offsets if the generation is
        // gone), so that its outcome cannot be booked for partitions forgotten below.
        if (listenerFailure == null) {
          settle(true);
        }
      } catch (RuntimeException e) {
        listenerFailure = e;
      }
      forget(partitions);
      try {
        // The group has moved on without us: our offsets would be refused, so abort and rewind.
        if (listenerFailure == null) {
          abortAndRewind();
        }
      } catch (RuntimeException e) {
        listenerFailure = e;
      }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      try {
        for (TopicPartition tp : partitions) {
          committed.put(tp, consumer.position(tp));
        }
        log.info("processor {}: assigned {}", name, partitions);
        // The first assignment ends the start, even an empty one (more instances than partitions).
        lifecycle.tryMoveTo(ComponentState.RUNNING);
      } catch (RuntimeException e) {
        listenerFailure = e;
      }
    }
  }

  /** A batch handed to the committer thread; its fields other than result are set before. */
  private static final class InFlight {
    final long batch;
    final Map<TopicPartition, OffsetAndMetadata> offsets;
    final long startNanos;
    volatile long doneNanos; // set by the committer thread before result completes
    // Which producer call a failure came from; set by the committer thread before result completes.
    volatile Call failedCall = Call.OTHER;
    CompletableFuture<Void> result;

    InFlight(long batch, Map<TopicPartition, OffsetAndMetadata> offsets, long startNanos) {
      this.batch = batch;
      this.offsets = offsets;
      this.startNanos = startNanos;
    }
  }

  /** How often a record has failed so far, and whether it has been given up. */
  private record Failure(int attempts, Exception last, boolean givenUp) {}

  /** A transient failure of the user's function: abort, rewind, wait, retry. */
  private static final class Rewind extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int attempt;
    final transient Duration backoff;

    Rewind(Exception cause, int attempt, Duration backoff) {
      super(cause);
      this.attempt = attempt;
      this.backoff = backoff;
    }
  }
}
