package dev.exactly.processor;

import dev.exactly.FaultPoint;
import dev.exactly.Ticker;
import dev.exactly.internal.TransactionErrors.Call;
import dev.exactly.internal.TransactionErrors.Reaction;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits batches, and aborts and rewinds those that cannot commit.
 *
 * <p>Exactly-once commits are pipelined: the engine hands a finished batch's {@code
 * sendOffsetsToTransaction} and {@code commitTransaction} to the committer thread and goes on
 * polling and processing the next batch while they run. One producer has one transaction at a time,
 * so the next batch's outputs are held until the commit has returned; only then does its
 * transaction begin and its held outputs go out. At most one commit is in flight, and the engine
 * waits for it ({@link #settle}) before anything that needs the committed positions: the next
 * commit, an abort and rewind, a revocation, a loss, or close. If the commit in flight fails, its
 * transaction is handled by {@link TransactionFailureHandler}, the batch opened after it is dropped
 * and every partition rewound to its last commit, exactly as when a batch fails on the engine
 * thread.
 *
 * <p>At-least-once, the engine flushes the sends and then commits the offsets itself.
 *
 * <p>Engine thread only, except the commit task, which runs on the committer thread.
 */
final class Committer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExactlyOnceProcessor.class);

  private final ProcessorSettings settings;
  private final ProcessorMetrics metrics;
  private final Ticker ticker;
  private final Consumer<byte[], byte[]> consumer;
  private final Batch batch;
  private final OutputProducer out;
  private final Rewinder rewinder;
  private final FailedAttempts attempts;
  private final TransactionFailureHandler failures;
  // Whether the commit thread gives up on a commit that keeps timing out: closing, past deadline.
  private final BooleanSupplier giveUpCommit;
  private final ExecutorService committer;
  private InFlight inFlight;

  Committer(
      ProcessorSettings settings,
      ProcessorMetrics metrics,
      Consumer<byte[], byte[]> consumer,
      Batch batch,
      OutputProducer out,
      Rewinder rewinder,
      FailedAttempts attempts,
      BooleanSupplier giveUpCommit) {
    this.settings = settings;
    this.metrics = metrics;
    this.ticker = settings.ticker();
    this.consumer = consumer;
    this.batch = batch;
    this.out = out;
    this.rewinder = rewinder;
    this.attempts = attempts;
    this.giveUpCommit = giveUpCommit;
    this.failures =
        new TransactionFailureHandler(
            settings.name(), new Reactions(), giveUpCommit, settings.transactionTimeout());
    this.committer =
        settings.exactlyOnce()
            ? Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "exactly-committer-" + settings.name());
                  t.setDaemon(true);
                  return t;
                })
            : null;
  }

  /**
   * Exactly-once: begins the open batch's transaction and sends the outputs it held while the
   * previous batch committed. Only once no commit is in flight.
   */
  void beginTransaction() {
    if (batch.holds()) {
      out.begin();
      batch.transactionBegun();
    }
  }

  /** Opens the next batch; exactly-once, its transaction begins at once if no commit runs. */
  void openBatch() {
    batch.open(ticker.nanoTime(), !settings.exactlyOnce());
    if (inFlight == null) {
      beginTransaction();
    }
    out.batchOpened();
    metrics.batches.increment();
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
  boolean commitBatch(boolean wait) {
    if (!settle(true)) {
      return false; // the batch before failed, and this one was dropped with it
    }
    if (!batch.isOpen()) {
      return true;
    }
    beginTransaction();
    settings.faults().reached(FaultPoint.PROCESSOR_AFTER_SENDS_BEFORE_COMMIT);
    Map<TopicPartition, OffsetAndMetadata> offsets = batch.offsets();
    if (settings.exactlyOnce()) {
      long open = out.transactionOpenNanos(System.nanoTime());
      if (open >= settings.transactionTimeout().toNanos()) {
        // The coordinator aborts (or has aborted) this transaction: its commit could only fail.
        metrics.aborts.increment();
        failures.abortTimedOut(batch.number(), Duration.ofNanos(open));
        return false;
      }
      // Read here: the consumer belongs to this thread, and the offsets must carry the generation
      // of the assignment they were consumed under.
      ConsumerGroupMetadata group = consumer.groupMetadata();
      InFlight commit = new InFlight(batch.number(), offsets, ticker.nanoTime());
      out.handOff();
      commit.result =
          CompletableFuture.runAsync(
              () -> {
                try {
                  commitTransaction(group, commit);
                } finally {
                  commit.doneNanos = ticker.nanoTime();
                  commit.failedRealNanos = System.nanoTime();
                }
              },
              committer);
      inFlight = commit;
      batch.close();
      return !wait || settle(true);
    }
    return commitAtLeastOnce(offsets);
  }

  private boolean commitAtLeastOnce(Map<TopicPartition, OffsetAndMetadata> offsets) {
    long start = ticker.nanoTime();
    try {
      out.flush();
    } catch (KafkaException e) {
      failed(e, Call.OTHER, batch.number());
      return false;
    }
    Exception sendFailed = out.takeSendFailure();
    if (sendFailed != null) {
      failed(
          new KafkaException("a send of batch " + batch.number() + " failed", sendFailed),
          Call.OTHER,
          batch.number());
      return false;
    }
    try {
      settings.faults().reached(FaultPoint.PROCESSOR_DURING_COMMIT);
      if (!offsets.isEmpty()) {
        consumer.commitSync(offsets);
      }
    } catch (RebalanceInProgressException e) {
      // The outputs are out already; only the offsets wait. The rebalance completes in the next
      // poll (a revocation commits there), so keep the batch open and try again after it instead
      // of rewinding and sending the batch once more per failed attempt.
      log.info(
          "processor {}: commit of batch {} waits for a rebalance; retrying after the next poll",
          settings.name(),
          batch.number());
      batch.waitForRebalance();
      return true;
    } catch (KafkaException e) {
      log.warn(
          "processor {}: commit of batch {} failed; aborting and rewinding",
          settings.name(),
          batch.number(),
          e);
      abortAndRewind();
      return false;
    }
    batch.close();
    long took = ticker.nanoTime() - start;
    metrics.commitWait.record(took, TimeUnit.NANOSECONDS); // the engine waits for every commit
    committed(offsets, took);
    return true;
  }

  /**
   * On the committer thread: puts the offsets into the transaction and commits it, calling {@code
   * commitTransaction} again after a timeout (it resumes the same commit), and recording in {@code
   * commit} which call failed, if one does.
   */
  private void commitTransaction(ConsumerGroupMetadata group, InFlight commit) {
    out.sendOffsets(commit.offsets, group);
    settings.faults().reached(FaultPoint.PROCESSOR_DURING_COMMIT);
    commit.failedCall = Call.COMMIT;
    while (true) {
      try {
        out.commit();
        return;
      } catch (KafkaException e) {
        if (!failures.retryCommit(e, giveUpCommit.getAsBoolean())) {
          throw e;
        }
        log.warn(
            "processor {}: commit of batch {} timed out; retrying", settings.name(), commit.batch);
      }
    }
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
  boolean commitRunning() {
    return inFlight != null && !inFlight.result.isDone();
  }

  /**
   * Without waiting: books the commit in flight if it has finished and, once none is in flight,
   * begins the open batch's transaction so its held outputs go out. Returns false as {@link
   * #settle} does.
   */
  boolean catchUp() {
    if (!settle(false)) {
      return false;
    }
    if (inFlight == null) {
      beginTransaction();
    }
    return true;
  }

  /**
   * Collects the result of the commit in flight, if any: waiting for it with {@code block},
   * otherwise only if it has finished. Returns false if it failed: its transaction is then handled
   * by its error's class, the batch opened after it is dropped and every partition rewound.
   *
   * @throws Fenced if the commit found this instance fenced
   */
  boolean settle(boolean block) {
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
    // The failed commit's transaction is the engine's to abort: none other is open while it runs.
    out.commitFailed();
    failed(failed, commit.failedCall, commit.batch, commit.failedRealNanos);
    return false;
  }

  /** Books a successful commit: its offsets are the new rewind points. */
  private void committed(Map<TopicPartition, OffsetAndMetadata> offsets, long latencyNanos) {
    metrics.commitLatency.record(latencyNanos, TimeUnit.NANOSECONDS);
    metrics.commits.increment();
    rewinder.committed(offsets);
    attempts.committed(offsets);
    settings.faults().reached(FaultPoint.PROCESSOR_AFTER_COMMIT);
  }

  /**
   * A producer call failed: reacts by the error's class (abort and rewind, a new producer, fenced,
   * failed). Returns once the partitions are rewound.
   */
  void failed(Throwable failure, Call call, long batchNumber) {
    failed(failure, call, batchNumber, System.nanoTime());
  }

  /**
   * @param failedNanos when the call failed, by System.nanoTime: whether its transaction had
   *     outlived transaction.timeout.ms by then tells a coordinator's timeout from fencing
   */
  private void failed(Throwable failure, Call call, long batchNumber, long failedNanos) {
    boolean open = batch.isOpen() || out.inTransaction();
    boolean outlived =
        out.transactionOpenNanos(failedNanos) >= settings.transactionTimeout().toNanos();
    Reaction reaction = failures.handle(failure, call, batchNumber, outlived);
    if (reaction == Reaction.RETRY_COMMIT) {
      out.abandon();
    } else if (open) {
      metrics.aborts.increment();
    }
  }

  /**
   * Aborts the open batch (exactly-once) and seeks every partition back to its last commit, after
   * the commit in flight (if any) has finished, so that the rewind points include it.
   */
  void abortAndRewind() {
    if (!settle(true)) {
      return; // the failed commit dropped the open batch and rewound already
    }
    if (batch.isOpen()) {
      metrics.aborts.increment();
    }
    // A timed-out abort is resumed; a forgotten producer is replaced, a fenced or refused one
    // stops.
    failures.abortAndRewind(batch.number());
  }

  /** Stops the committer thread; a commit still in flight fails once the producer closes. */
  @Override
  public void close() {
    if (committer != null) {
      committer.shutdownNow();
    }
  }

  /** The engine's side of {@link TransactionFailureHandler}'s reactions. */
  private final class Reactions implements TransactionFailureHandler.Actions {
    @Override
    public void abort() {
      out.abort();
    }

    @Override
    public void rewind() {
      rewinder.dropBatchAndRewind();
    }

    @Override
    public void recreateProducer() {
      out.recreate();
    }

    @Override
    public void abandon() {
      out.abandon();
    }

    @Override
    public void timedOut() {
      metrics.transactionTimeouts.increment();
    }
  }

  /** A batch handed to the committer thread; its fields other than result are set before. */
  private static final class InFlight {
    final long batch;
    final Map<TopicPartition, OffsetAndMetadata> offsets;
    final long startNanos;
    volatile long doneNanos; // set by the committer thread before result completes
    // When the commit returned in real time, which transaction.timeout.ms is measured in.
    volatile long failedRealNanos;
    // Which producer call a failure came from; set by the committer thread before result completes.
    volatile Call failedCall = Call.OTHER;
    CompletableFuture<Void> result;

    InFlight(long batch, Map<TopicPartition, OffsetAndMetadata> offsets, long startNanos) {
      this.batch = batch;
      this.offsets = offsets;
      this.startNanos = startNanos;
    }
  }
}
