package dev.exactly.dedup;

import dev.exactly.FaultPoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With {@code concurrency(n) > 1}: runs one claimed poll's handlers on up to n tasks, a {@link
 * Lanes lane} per task at a time, one lane's records in order. Meanwhile the engine thread, which
 * alone touches the Kafka consumer, flushes the {@link Completer} every few milliseconds and
 * commits each partition's contiguous watermark (its lowest record not yet done). When every lane
 * has ended it releases the claims whose effect did not complete, commits the final watermarks and
 * seeks each partition back to its watermark, so a record left unfinished is polled again and the
 * records done after it are found done and skipped. Nothing of the batch runs after {@link #run}
 * returns, so a rebalance (which happens only inside the next poll) finds nothing in flight.
 */
final class ConcurrentBatch<K, V> {
  private static final Logger log = LoggerFactory.getLogger(ConcurrentBatch.class);
  private static final long FLUSH_EVERY_MS = 5;
  private static final Duration COMMIT_EVERY = Duration.ofMillis(100);

  private final ConsumerSettings<K, V> s;
  private final BatchProcessor<K, V> batch;
  private final HandlerRunner<K, V> runner;
  private final LeaseRenewer renewer;
  private final ClaimEnds ends;
  private final Completer<K, V> completer;
  private final DedupMetrics metrics;
  private final Executor executor;
  private final BooleanSupplier running;

  ConcurrentBatch(
      ConsumerSettings<K, V> s,
      BatchProcessor<K, V> batch,
      HandlerRunner<K, V> runner,
      LeaseRenewer renewer,
      ClaimEnds ends,
      DedupMetrics metrics,
      Executor executor,
      BooleanSupplier running) {
    this.s = s;
    this.batch = batch;
    this.runner = runner;
    this.renewer = renewer;
    this.ends = ends;
    this.completer = new Completer<>(renewer, ends);
    this.metrics = metrics;
    this.executor = executor;
    this.running = running;
  }

  /** Handles the claimed {@code partitions}; returns when every lane has ended. */
  void run(Map<TopicPartition, List<Item<K, V>>> partitions) {
    Queue<List<Item<K, V>>> lanes =
        new ConcurrentLinkedQueue<>(Lanes.cut(partitions, s.ordering()));
    Map<TopicPartition, Claim.InFlight> heldElsewhere = new ConcurrentHashMap<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    int tasks = Math.min(s.concurrency(), lanes.size());
    CountDownLatch done = new CountDownLatch(tasks);
    for (int t = 0; t < tasks; t++) {
      Runnable task =
          () -> {
            try {
              for (List<Item<K, V>> lane = lanes.poll(); lane != null; lane = lanes.poll()) {
                runLane(lane, heldElsewhere);
              }
            } catch (Throwable e) {
              failure.compareAndSet(null, e);
            } finally {
              done.countDown();
            }
          };
      try {
        executor.execute(task);
      } catch (RejectedExecutionException e) {
        // A user's executor that is full or shut down: this thread takes the task itself.
        task.run();
      }
    }
    Watermark watermark = new Watermark(partitions);
    long committedAt = s.ticker().nanoTime();
    while (!awaitQuietly(done)) {
      if (completer.flush()
          && s.ticker().nanoTime() - committedAt >= COMMIT_EVERY.toNanos()
          && watermark.advanced()) {
        batch.commit(watermark.take());
        committedAt = s.ticker().nanoTime();
      }
    }
    boolean flushed = completer.flush();
    Throwable t = failure.get();
    if (t instanceof Error e) {
      throw e;
    }
    List<Claim.Claimed> releases = new ArrayList<>();
    partitions.values().stream()
        .flatMap(List::stream)
        .filter(Item::mustRelease)
        .forEach(
            item -> {
              renewer.drop(item.dedupKey);
              releases.add(item.claimed());
            });
    ends.release(releases);
    renewer.dropAll();
    if (flushed && watermark.advanced()) {
      batch.commit(watermark.take());
    }
    watermark.unfinished().forEach(batch::seekTo);
    heldElsewhere.forEach(batch::pauseFor);
    if (t instanceof RuntimeException e) {
      throw e;
    }
  }

  private static boolean awaitQuietly(CountDownLatch done) {
    try {
      return done.await(FLUSH_EVERY_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** One lane, in order, on a worker; what it cannot finish it leaves for the next poll. */
  private void runLane(List<Item<K, V>> lane, Map<TopicPartition, Claim.InFlight> heldElsewhere) {
    Map<String, Item<K, V>> holders = new HashMap<>();
    for (int i = 0; i < lane.size(); i++) {
      Item<K, V> item = lane.get(i);
      if (!running.getAsBoolean() || !step(item, holders, heldElsewhere)) {
        leaveFrom(lane, i, holders);
        return;
      }
    }
  }

  /** One record; false when it and the rest of its lane wait for the next poll. */
  private boolean step(
      Item<K, V> item,
      Map<String, Item<K, V>> holders,
      Map<TopicPartition, Claim.InFlight> heldElsewhere) {
    if (item.unhandleable()) {
      metrics.recordsIn.increment();
      if (!batch.deadLetter(item)) {
        return false;
      }
      item.outcome = Item.Outcome.DEAD_LETTERED;
      item.settled = true;
      return true;
    }
    Item<K, V> holder = holders.get(item.dedupKey);
    if (holder != null) {
      if (holder.outcome != Item.Outcome.SUCCEEDED) {
        // The key failed earlier in this batch and its claim is gone: claim it afresh next poll.
        return false;
      }
      item.follows = holder;
      skip(item, Optional.ofNullable(holder.result));
      return true;
    }
    if (item.claim instanceof Claim.Done d) {
      skip(item, d.result());
      item.settled = true;
      return true;
    }
    if (item.claim instanceof Claim.InFlight inFlight) {
      metrics.inFlightWaits.increment();
      heldElsewhere.putIfAbsent(partitionOf(item), inFlight);
      return false;
    }
    if (renewer.lost(item.dedupKey) || batch.leaseHalfGone()) {
      return false;
    }
    holders.put(item.dedupKey, item);
    return handle(item);
  }

  private boolean handle(Item<K, V> item) {
    metrics.recordsIn.increment();
    metrics.handlersInFlight.incrementAndGet();
    HandlerRunner.Result result;
    try {
      result = runner.run(item);
    } finally {
      metrics.handlersInFlight.decrementAndGet();
    }
    switch (result) {
      case SUCCEEDED -> {
        item.outcome = Item.Outcome.SUCCEEDED;
        if (item.completed) {
          // The effect and its key committed together, in the effect's transaction.
          metrics.claimed.increment();
          item.settled = true;
          s.faults().reached(FaultPoint.CONSUMER_AFTER_COMPLETE);
        } else {
          completer.add(item);
        }
        return true;
      }
      case LOST -> {
        metrics.leasesLost.increment();
        log.warn(
            "{}: {} lost its claim before its transaction; if taken over, lengthen the lease",
            s.name(),
            item);
        item.outcome = Item.Outcome.LEFT;
        return false;
      }
      case FAILED -> {
        if (batch.deadLetter(item)) {
          item.outcome = Item.Outcome.DEAD_LETTERED;
          item.settled = true;
          return true;
        }
        item.outcome = Item.Outcome.LEFT;
        return false;
      }
      default -> {
        item.outcome = Item.Outcome.LEFT;
        return false;
      }
    }
  }

  private void skip(Item<K, V> item, Optional<StoredResult> result) {
    metrics.recordsIn.increment();
    metrics.duplicatesSkipped.increment();
    item.outcome = Item.Outcome.SKIPPED;
    batch.skipped(item, result);
  }

  /** Marks the claims items from {@code from} on hold (and no earlier item uses) to be released. */
  private static <K, V> void leaveFrom(
      List<Item<K, V>> lane, int from, Map<String, Item<K, V>> holders) {
    for (int j = from; j < lane.size(); j++) {
      Item<K, V> item = lane.get(j);
      if (item.claimed() != null && !holders.containsKey(item.dedupKey)) {
        holders.put(item.dedupKey, item);
        item.outcome = Item.Outcome.LEFT;
      }
    }
  }

  static TopicPartition partitionOf(Item<?, ?> item) {
    return new TopicPartition(item.raw.topic(), item.raw.partition());
  }
}
