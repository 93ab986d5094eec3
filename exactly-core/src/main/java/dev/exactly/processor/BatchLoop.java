package dev.exactly.processor;

import dev.exactly.Ticker;
import dev.exactly.internal.TransactionErrors.Call;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll-process-commit loop, for both guarantees: polls, runs each record through the function
 * (on the engine thread, or on workers, several keys at once) into the open batch, and commits the
 * batch when it is full or its interval has passed on the ticker. Engine thread only; the rebalance
 * callbacks run inside its {@code poll}, on it too, so the batch needs no locks.
 */
final class BatchLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExactlyOnceProcessor.class);

  private final ProcessorSettings settings;
  private final ProcessorMetrics metrics;
  private final Ticker ticker;
  private final Consumer<byte[], byte[]> consumer;
  private final OutputProducer out;
  private final Batch batch = new Batch();
  private final Committer committer;
  private final RecordRunner<?, ?, ?, ?> runner;
  // Null when the function runs on the engine thread (concurrency 1).
  private final PollWorkers workers;
  private final RebalanceListener listener;
  private final Rewinder rewinder;
  private final BooleanSupplier running;

  /**
   * @param running whether the engine goes on polling
   * @param pastCloseDeadline whether close() was called and its deadline has passed on the ticker
   * @param executor where the function runs when {@code concurrency > 1}; null otherwise
   */
  BatchLoop(
      ProcessorSettings settings,
      ProcessorMetrics metrics,
      Consumer<byte[], byte[]> consumer,
      OutputProducer out,
      BooleanSupplier running,
      BooleanSupplier pastCloseDeadline,
      Runnable assigned,
      Executor executor) {
    this.settings = settings;
    this.metrics = metrics;
    this.ticker = settings.ticker();
    this.consumer = consumer;
    this.out = out;
    this.running = running;
    FailedAttempts attempts = new FailedAttempts();
    Rewinder rewinder = new Rewinder(settings.name(), consumer, batch, out, settings.pollTimeout());
    this.rewinder = rewinder;
    this.committer =
        new Committer(
            settings,
            metrics,
            consumer,
            batch,
            out,
            rewinder,
            attempts,
            () -> !running.getAsBoolean() && pastCloseDeadline.getAsBoolean());
    this.runner = new RecordRunner<>(settings, metrics, batch, out, attempts);
    this.workers =
        executor == null
            ? null
            : new PollWorkers(runner, executor, settings.concurrency(), settings.ordering());
    this.listener =
        new RebalanceListener(
            settings.name(), metrics, committer, rewinder, batch, attempts, assigned);
    consumer.subscribe(List.of(settings.inputTopic()), listener);
  }

  /** One poll and its records; a failure that stops the processor propagates. */
  void pollOnce() {
    ConsumerRecords<byte[], byte[]> records = consumer.poll(settings.pollTimeout());
    batch.polled();
    listener.throwFailure();
    rewinder.positionWaiting();
    try {
      if (!committer.catchUp()) {
        return;
      }
      if (workers == null) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
          if (!batch.isOpen()) {
            committer.openBatch();
          }
          if (!handle(runner.run(record, running))) {
            return;
          }
        }
      } else if (!records.isEmpty()) {
        if (!batch.isOpen()) {
          committer.openBatch();
        }
        // Computed on the workers into this batch, emitted in poll order. The batch commits only
        // after the whole poll: its records were computed for it (Output.batch() says so).
        List<RecordRunner.Computed> computed;
        try {
          computed = workers.compute(records, running);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          stoppedInBackoff();
          return;
        }
        boolean full = false;
        for (RecordRunner.Computed c : computed) {
          RecordRunner.Result result = runner.emit(c);
          if (result == RecordRunner.Result.STOPPED) {
            stoppedInBackoff();
            return;
          }
          full |= isFull(result);
          if (!committer.catchUp()) {
            return;
          }
        }
        if (full && !committer.commitBatch(false)) {
          return;
        }
      }
    } catch (KafkaException e) {
      // A send or begin refused by the producer: the batch cannot commit. The commit in flight,
      // if any, settles first, so that the rewind points include it.
      if (committer.settle(true)) {
        committer.failed(e, Call.OTHER, batch.number());
      }
      return;
    }
    long open = batch.openNanos(ticker.nanoTime());
    long interval = settings.commitInterval().toNanos();
    if (batch.isOpen()
        && !batch.waitsForRebalance()
        && open >= interval
        && (records.isEmpty() || !committer.commitRunning() || open >= 2 * interval)) {
      committer.commitBatch(false);
    }
    metrics.lag.update(consumer);
  }

  /**
   * Goes on after one record's run: commits the batch when it is full or catches up with the commit
   * in flight. False means the partitions were rewound (or the processor stops): the rest of this
   * poll's records lie past the rewind point and come again.
   */
  private boolean handle(RecordRunner.Result result) {
    if (result == RecordRunner.Result.STOPPED) {
      stoppedInBackoff();
      return false;
    }
    return isFull(result) ? committer.commitBatch(false) : committer.catchUp();
  }

  /**
   * Whether the batch should commit now. A batch held open by a retry's backoff commits once past
   * its interval rather than wait for the poll's other records: each of them may wait out backoffs
   * too, and the transaction must end well within its timeout.
   */
  private boolean isFull(RecordRunner.Result result) {
    return (batch.records() >= settings.maxBatchRecords()
            || out.heldFull()
            || (result == RecordRunner.Result.DONE_AFTER_RETRY
                && batch.openNanos(ticker.nanoTime()) >= settings.commitInterval().toNanos()))
        && !batch.waitsForRebalance();
  }

  /**
   * A record's backoff ended before its next attempt. Closing, the open batch holds the records
   * done before it and commits (or aborts) in {@link #finish}; the consumer's position past the
   * rest of the poll does not matter. Interrupted while running, it cannot go on polling from that
   * position, so the batch aborts and every partition rewinds.
   */
  private void stoppedInBackoff() {
    if (running.getAsBoolean()) {
      committer.abortAndRewind();
    }
  }

  /** Closing: the open batch commits if the close deadline allows, otherwise it aborts. */
  void finish(boolean pastCloseDeadline) {
    if (!pastCloseDeadline) {
      committer.commitBatch(true);
    } else {
      committer.abortAndRewind();
    }
  }

  /**
   * The consumer is being replaced (the group fenced it): the open batch aborts, after the commit
   * in flight, if any; the next consumer starts from the committed offsets.
   */
  void abandon() {
    committer.abortAndRewind();
  }

  @Override
  public void close() {
    committer.close();
  }
}
