package dev.exactly.processor;

import static dev.exactly.processor.ProcessorState.CLOSED;
import static dev.exactly.processor.ProcessorState.CLOSING;
import static dev.exactly.processor.ProcessorState.CREATED;
import static dev.exactly.processor.ProcessorState.FAILED;
import static dev.exactly.processor.ProcessorState.FENCED;
import static dev.exactly.processor.ProcessorState.RUNNING;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.internal.KafkaSettings;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
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

  private final AtomicReference<ProcessorState> state = new AtomicReference<>(CREATED);
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile Throwable failure;
  private volatile long closeDeadlineNanos;
  // Set when close() gave up waiting and closed the producer under the engine: the engine then
  // closes the consumer at once, so close() still returns within its promised bound.
  private volatile boolean closeOverdue;
  private volatile KafkaProducer<byte[], byte[]> producer;

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
    this.name = settings.groupId() + "/" + settings.instanceId();
    this.metrics = new ProcessorMetrics(registry, settings.groupId(), settings.instanceId());
  }

  @Override
  public void start() {
    if (state.get() == CREATED) {
      // Before leaving CREATED, so a refused start can be retried once the topic exists.
      TopicCheck.requireTopics(settings);
    }
    if (!state.compareAndSet(CREATED, RUNNING)) {
      throw new IllegalStateException(
          "processor " + name + " can start only once, from CREATED; it is " + state.get());
    }
    Thread t = new Thread(this::run, "exactly-processor-" + name);
    t.setDaemon(false);
    t.start();
  }

  @Override
  public ProcessorState state() {
    return state.get();
  }

  @Override
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  @Override
  public boolean close(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    closeDeadlineNanos = deadline;
    if (state.compareAndSet(CREATED, CLOSED)) {
      terminated.countDown();
      return true;
    }
    moveTo(CLOSING);
    try {
      if (terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        return true;
      }
      // The engine is stuck in a commit: closing the producer under it aborts the transaction,
      // which is the promised outcome when the batch cannot commit in time.
      closeOverdue = true;
      KafkaProducer<byte[], byte[]> p = producer;
      if (p != null) {
        p.close(Duration.ZERO);
      }
      return terminated.await(CLIENT_CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Moves to {@code next} if that is legal from the current state; returns whether it moved. */
  private boolean moveTo(ProcessorState next) {
    while (true) {
      ProcessorState current = state.get();
      if (current == next) {
        return true;
      }
      if (!current.canMoveTo(next)) {
        return false;
      }
      if (state.compareAndSet(current, next)) {
        log.info("processor {}: {} -> {}", name, current, next);
        return true;
      }
    }
  }

  private void run() {
    try {
      openClients();
      while (state.get() == RUNNING) {
        pollAndProcess();
      }
      finishOpenBatch();
      moveTo(CLOSED);
    } catch (Fenced e) {
      failure = e.getCause();
      log.warn(
          "processor {} is fenced: another instance owns its transactional.id or its partitions;"
              + " it stops and must not be restarted under the same instance id while the other"
              + " runs: {}",
          name,
          e.getCause().toString());
      moveTo(FENCED);
    } catch (Throwable e) {
      failure = e;
      log.error("processor {} failed and stopped", name, e);
      abortQuietly();
      moveTo(FAILED);
    } finally {
      closeClients();
      terminated.countDown();
    }
  }

  private void openClients() {
    log.info(
        "processor {} ({}) starting with consumer {} and producer {}",
        name,
        settings.guarantee(),
        KafkaSettings.masked(settings.consumerProperties()),
        KafkaSettings.masked(settings.producerProperties()));
    producer = new KafkaProducer<>(settings.producerProperties());
    if (settings.exactlyOnce()) {
      // Fences any earlier incarnation of this instance and aborts its open transaction.
      producer.initTransactions();
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
      // A send or begin refused by the producer: the batch cannot commit, so redo it.
      if (isFenced(e)) {
        throw new Fenced(e);
      }
      log.warn("processor {}: batch {} failed in the producer; aborting", name, batchNumber, e);
      abortAndRewind();
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
    long open = System.nanoTime() - batchStartNanos;
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
      deadLetter(raw, e, "deserialization", 1);
      advance(tp, raw);
      return;
    }
    TreeMap<Long, Failure> partitionFailures = failures.get(tp);
    Failure failed = partitionFailures == null ? null : partitionFailures.get(raw.offset());
    if (failed != null && failed.givenUp()) {
      // Given up in a batch that then aborted for another record: the decision stands, and the
      // function is not called again.
      deadLetter(raw, failed.last(), "retries-exhausted", failed.attempts());
      advance(tp, raw);
      return;
    }
    int attempt = failed == null ? 1 : failed.attempts() + 1;
    out.reset(batchNumber);
    try {
      function.process(
          new ConsumerRecord<>(
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
              raw.leaderEpoch()),
          out);
    } catch (Exception e) {
      if (settings.isNonRetriable(e)
          || e instanceof org.apache.kafka.common.errors.SerializationException) {
        deadLetter(raw, e, "non-retriable", attempt);
      } else if (!settings.retry().canRetryAfter(attempt)) {
        failures
            .computeIfAbsent(tp, k -> new TreeMap<>())
            .put(raw.offset(), new Failure(attempt, e, true));
        deadLetter(raw, e, "retries-exhausted", attempt);
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

  private void deadLetter(ConsumerRecord<byte[], byte[]> raw, Exception e, String why, int tries) {
    RecordHeaders headers = new RecordHeaders(raw.headers().toArray());
    header(headers, DeadLetterHeaders.TOPIC, raw.topic());
    header(headers, DeadLetterHeaders.PARTITION, Integer.toString(raw.partition()));
    header(headers, DeadLetterHeaders.OFFSET, Long.toString(raw.offset()));
    header(headers, DeadLetterHeaders.TIMESTAMP, Long.toString(raw.timestamp()));
    header(headers, DeadLetterHeaders.EXCEPTION_CLASS, e.getClass().getName());
    header(
        headers, DeadLetterHeaders.EXCEPTION_MESSAGE, e.getMessage() == null ? "" : e.getMessage());
    header(headers, DeadLetterHeaders.ATTEMPTS, Integer.toString(tries));
    header(headers, DeadLetterHeaders.REASON, why);
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
    send(settings.deadLetterTopic(), null, raw.key(), raw.value(), headers);
    metrics.deadLetters.increment();
  }

  private static void header(RecordHeaders headers, String key, String value) {
    headers.remove(key);
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
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
      if (isFenced(e)) {
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
    batchStartNanos = System.nanoTime();
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
    try {
      producer.beginTransaction();
    } catch (KafkaException e) {
      throw isFenced(e) ? new Fenced(e) : e;
    }
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
    CrashPoints crash = settings.crashPoints();
    crash.reached(CrashPoint.AFTER_SENDS_BEFORE_COMMIT);
    Map<TopicPartition, OffsetAndMetadata> offsets = Map.copyOf(pending);
    if (settings.exactlyOnce()) {
      // Read here: the consumer belongs to this thread, and the offsets must carry the generation
      // of the assignment they were consumed under.
      ConsumerGroupMetadata group = consumer.groupMetadata();
      long batch = batchNumber;
      InFlight commit = new InFlight(batch, offsets);
      commit.result =
          CompletableFuture.runAsync(
              () -> {
                try {
                  commitTransaction(offsets, group, batch);
                } finally {
                  commit.doneNanos = System.nanoTime();
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
    long start = System.nanoTime();
    try {
      producer.flush();
      Exception failed = sendFailure.getAndSet(null);
      if (failed != null) {
        throw new KafkaException("a send of batch " + batchNumber + " failed", failed);
      }
      crash.reached(CrashPoint.DURING_COMMIT);
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
    long took = System.nanoTime() - start;
    metrics.commitWait.record(took, TimeUnit.NANOSECONDS); // the engine waits for every commit
    committed(offsets, took);
    return true;
  }

  /** On the committer thread: puts the offsets into the transaction and commits it. */
  private void commitTransaction(
      Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group, long batch) {
    if (!offsets.isEmpty()) {
      producer.sendOffsetsToTransaction(offsets, group);
    }
    settings.crashPoints().reached(CrashPoint.DURING_COMMIT);
    commitTransactionRetryingTimeouts(batch);
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
    long waitStart = System.nanoTime();
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
    metrics.commitWait.record(waited ? System.nanoTime() - waitStart : 0, TimeUnit.NANOSECONDS);
    if (failed == null) {
      committed(commit.offsets, commit.doneNanos - commit.startNanos);
      return true;
    }
    if (isFenced(failed)) {
      throw new Fenced(failed);
    }
    if (failed instanceof Error err) {
      throw err;
    }
    if (!(failed instanceof KafkaException)) {
      // Not a failure of this batch but of the engine (as on the engine thread, it stops it).
      throw failed instanceof RuntimeException r ? r : new IllegalStateException(failed);
    }
    log.warn(
        "processor {}: commit of batch {} failed; aborting and rewinding",
        name,
        commit.batch,
        failed);
    try {
      producer.abortTransaction();
    } catch (KafkaException e) {
      throw isFenced(e) ? new Fenced(e) : e;
    }
    metrics.aborts.increment();
    dropBatchAndRewind();
    return false;
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
    settings.crashPoints().reached(CrashPoint.AFTER_COMMIT_BEFORE_POLL);
  }

  private void commitTransactionRetryingTimeouts(long batch) {
    while (true) {
      try {
        producer.commitTransaction();
        return;
      } catch (TimeoutException e) {
        // Retriable: calling commitTransaction again resumes the same commit.
        if (state.get() != RUNNING && System.nanoTime() > closeDeadlineNanos) {
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
    if (transactionOpen) {
      try {
        producer.abortTransaction();
      } catch (KafkaException e) {
        // An abort that fails leaves the producer unusable: fenced, or fatal for this engine.
        throw isFenced(e) ? new Fenced(e) : e;
      }
    }
    if (batchOpen) {
      metrics.aborts.increment();
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
    if (System.nanoTime() < closeDeadlineNanos) {
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
            state.get() == FENCED || closeOverdue ? Duration.ZERO : CLIENT_CLOSE_TIMEOUT);
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
    long end = System.nanoTime() + d.toNanos();
    while (state.get() == RUNNING && System.nanoTime() < end) {
      try {
        Thread.sleep(Math.min(50, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void forget(Collection<TopicPartition> partitions) {
    committed.keySet().removeAll(partitions);
    pending.keySet().removeAll(partitions);
    failures.keySet().removeAll(partitions);
  }

  static boolean isFenced(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) {
        return true;
      }
    }
    return false;
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
      } catch (RuntimeException e) {
        listenerFailure = e;
      }
    }
  }

  /** A batch handed to the committer thread; its fields other than result are set before. */
  private static final class InFlight {
    final long batch;
    final Map<TopicPartition, OffsetAndMetadata> offsets;
    final long startNanos = System.nanoTime();
    volatile long doneNanos; // set by the committer thread before result completes
    CompletableFuture<Void> result;

    InFlight(long batch, Map<TopicPartition, OffsetAndMetadata> offsets) {
      this.batch = batch;
      this.offsets = offsets;
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

  /** This instance is a zombie; stop without touching the transaction. */
  private static final class Fenced extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Fenced(Throwable cause) {
      super(cause);
    }
  }
}
