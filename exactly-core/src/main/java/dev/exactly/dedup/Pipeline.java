package dev.exactly.dedup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With {@code concurrency(n) > 1}: the engine thread's side of a pipeline that never waits for a
 * poll's handlers before polling again. Each poll's records are claimed in one store call and join
 * their {@link LaneWorkers lanes} behind the records still running; between polls (every few
 * milliseconds while anything is in flight) the engine thread completes the keys whose effect
 * succeeded ({@link Completer}), claims afresh the keys lanes wait on, commits each partition's
 * contiguous {@link Watermarks watermark} and, while more than {@link #bound} records are held
 * unfinished, pauses the assignment instead of polling more. A handler that hangs so holds only its
 * lane and its partition's commit point: other keys keep flowing, the consumer keeps polling (so
 * Kafka does not evict it), and a restart runs the hung record again, as the offset never passed
 * it.
 *
 * <p>A record of a key already held by an earlier record in flight is not claimed: it follows that
 * record, and is skipped if it succeeded or claims the key afresh if it gave up. On a rebalance the
 * revoked partitions' watermarks are committed, their queued records' claims released; a record
 * running then finishes on its worker and completes its key, which the partition's next owner then
 * finds done. Engine thread only, but for what {@link LaneWorkers} and {@link LaneSteps} do.
 */
final class Pipeline<K, V> {
  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);
  private static final Duration COMMIT_EVERY = Duration.ofMillis(100);

  /** The poll timeout while records are in flight: the engine's turn comes this often. */
  static final Duration BUSY_POLL = Duration.ofMillis(5);

  private static final Duration CLAIM_RETRY = Duration.ofSeconds(1);

  private final ConsumerSettings<K, V> s;
  private final BatchProcessor<K, V> batch;
  private final ItemReader<K, V> reader;
  private final LeaseRenewer renewer;
  private final ClaimEnds ends;
  private final Completer<K, V> completer;
  private final DedupMetrics metrics;
  private final LaneWorkers<K, V> workers;
  private final Watermarks watermarks = new Watermarks();

  /** The record holding each dedup key's claim in flight; later records of the key follow it. */
  private final Map<String, Item<K, V>> holders = new HashMap<>();

  /** Records whose claim is to be released (dead-lettered, or abandoned by a revoked lane). */
  private final Queue<Item<K, V>> toRelease = new ConcurrentLinkedQueue<>();

  /**
   * Records held unfinished above which the assignment is paused: two polls' worth, and at least
   * four per worker. A hung record keeps what queues behind it in its lane, up to this bound.
   */
  private final int bound;

  private int held;
  private boolean backpressured;
  private long committedAt;

  Pipeline(
      ConsumerSettings<K, V> s,
      BatchProcessor<K, V> batch,
      ItemReader<K, V> reader,
      HandlerRunner<K, V> runner,
      LeaseRenewer renewer,
      ClaimEnds ends,
      DedupMetrics metrics,
      Executor executor,
      BooleanSupplier running) {
    this.s = s;
    this.batch = batch;
    this.reader = reader;
    this.renewer = renewer;
    this.ends = ends;
    this.completer = new Completer<>(renewer, ends);
    this.metrics = metrics;
    LaneSteps<K, V> steps =
        new LaneSteps<>(s, batch, runner, renewer, completer, metrics, toRelease::add);
    this.workers =
        new LaneWorkers<>(s, executor, metrics.workerWait, steps, toRelease::add, running);
    this.bound = Math.max(2 * maxPollRecords(s), 4 * s.concurrency());
    this.committedAt = s.ticker().nanoTime();
  }

  private static int maxPollRecords(ConsumerSettings<?, ?> s) {
    Object v = s.consumerProperties().get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG);
    return v == null ? 500 : Integer.parseInt(v.toString().trim());
  }

  /** How long the next poll may wait: briefly while anything is in flight or to commit. */
  Duration pollTimeout() {
    return held > 0 || workers.busy() || watermarks.advanced() ? BUSY_POLL : s.pollTimeout();
  }

  /**
   * Claims {@code polled}'s keys and queues its records on their lanes.
   *
   * @throws DedupStoreException when the claim failed: nothing of the poll was queued and its
   *     partitions are rewound to it
   */
  void accept(ConsumerRecords<byte[], byte[]> polled) {
    Map<TopicPartition, List<Item<K, V>>> partitions = new LinkedHashMap<>();
    Map<String, Item<K, V>> firsts = new LinkedHashMap<>();
    for (TopicPartition tp : polled.partitions()) {
      List<Item<K, V>> items = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> raw : polled.records(tp)) {
        Item<K, V> item = reader.read(raw);
        items.add(item);
        if (!item.unhandleable()) {
          Item<K, V> earlier = holders.getOrDefault(item.dedupKey, firsts.get(item.dedupKey));
          if (earlier != null) {
            item.follows = earlier;
          } else {
            firsts.put(item.dedupKey, item);
          }
        }
      }
      partitions.put(tp, items);
    }
    long claimedAt = s.ticker().nanoTime();
    Map<String, Claim> claims;
    try {
      claims =
          metrics.timed(
              metrics.claimLatency, () -> s.store().claim(List.copyOf(firsts.keySet()), s.lease()));
    } catch (DedupStoreException e) {
      metrics.claimErrors.increment();
      partitions.forEach((tp, items) -> batch.seekTo(tp, items.get(0).offset()));
      throw e;
    }
    partitions.forEach(
        (tp, items) -> {
          for (Item<K, V> item : items) {
            if (firsts.get(item.dedupKey) == item) {
              take(tp, item, claims.get(item.dedupKey), claimedAt);
              holders.put(item.dedupKey, item);
            }
            watermarks.add(tp, item);
            workers.add(tp, item);
          }
          metrics.watermarkLag(tp).set(watermarks.lag(tp));
        });
    workers.dispatch();
  }

  private void take(TopicPartition tp, Item<K, V> item, Claim claim, long claimedAt) {
    item.claim = claim;
    item.claimedAtNanos = claimedAt;
    if (item.claimed() != null) {
      renewer.hold(item.claimed(), tp, item.offset(), claimedAt);
    }
  }

  /**
   * After each poll: completes, releases and claims what waits, commits the watermarks every {@link
   * #COMMIT_EVERY}, pauses or resumes the assignment, and hands ready lanes to workers.
   *
   * @throws RuntimeException (or {@link Error}) what a worker threw: the consumer stops
   */
  void tick(Consumer<byte[], byte[]> consumer) {
    rethrowWorkerFailure();
    releaseDropped();
    completer.flush();
    claimWaiting();
    holders.values().removeIf(Item::done);
    held = watermarks.held();
    if (s.ticker().nanoTime() - committedAt >= COMMIT_EVERY.toNanos() && watermarks.advanced()) {
      commit(null);
    }
    backpressure(consumer);
    workers.dispatch();
  }

  private void rethrowWorkerFailure() {
    Throwable t = workers.failure();
    if (t instanceof Error e) {
      throw e;
    }
    if (t instanceof RuntimeException e) {
      throw e;
    }
    if (t != null) {
      throw new IllegalStateException("a handler worker failed", t);
    }
  }

  private void commit(Collection<TopicPartition> only) {
    batch.commit(watermarks.take(only));
    committedAt = s.ticker().nanoTime();
    watermarks.partitions().forEach(tp -> metrics.watermarkLag(tp).set(watermarks.lag(tp)));
  }

  private void backpressure(Consumer<byte[], byte[]> consumer) {
    if (held >= bound) {
      if (!backpressured) {
        log.debug("{}: {} records unfinished (bound {}); pausing the poll", s.name(), held, bound);
      }
      // Again each time: partitions assigned meanwhile start unpaused.
      consumer.pause(consumer.assignment());
      backpressured = true;
    } else if (backpressured) {
      consumer.resume(consumer.assignment());
      backpressured = false;
    }
  }

  private void releaseDropped() {
    List<Claim.Claimed> claims = new ArrayList<>();
    for (Item<K, V> item = toRelease.poll(); item != null; item = toRelease.poll()) {
      if (item.claimed() != null) {
        renewer.drop(item.dedupKey);
        claims.add(item.claimed());
      }
    }
    ends.release(claims);
  }

  /** Claims afresh the keys of the waiting lanes' first records that are due. */
  private void claimWaiting() {
    long now = s.ticker().millis();
    Map<String, Item<K, V>> toClaim = new LinkedHashMap<>();
    for (Item<K, V> item : workers.due(now)) {
      if (!item.needsClaim) {
        workers.resume(item); // it follows an earlier record: its step looks again
      } else if (toClaim.putIfAbsent(item.dedupKey, item) != null) {
        workers.waitOn(item, now + LaneSteps.MIN_WAIT.toMillis());
      }
    }
    if (toClaim.isEmpty()) {
      return;
    }
    List<Claim.Claimed> old = new ArrayList<>();
    toClaim.values().stream()
        .filter(item -> item.claimed() != null)
        .forEach(
            item -> {
              renewer.drop(item.dedupKey);
              old.add(item.claimed());
            });
    ends.release(old);
    long claimedAt = s.ticker().nanoTime();
    Map<String, Claim> claims;
    try {
      claims =
          metrics.timed(
              metrics.claimLatency,
              () -> s.store().claim(List.copyOf(toClaim.keySet()), s.lease()));
    } catch (DedupStoreException e) {
      metrics.claimErrors.increment();
      log.warn(
          "{}: dedup store {} failed to claim {} waiting keys; trying again in {}: {}",
          s.name(),
          s.store().name(),
          toClaim.size(),
          CLAIM_RETRY,
          e.getMessage());
      toClaim.values().forEach(item -> workers.waitOn(item, now + CLAIM_RETRY.toMillis()));
      toClaim.values().forEach(item -> item.claim = null);
      return;
    }
    toClaim.forEach(
        (key, item) -> {
          take(item.partition(), item, claims.get(key), claimedAt);
          item.needsClaim = false;
          workers.resume(item);
        });
  }

  /**
   * In the rebalance listener: commits what the revoked partitions finished, releases the claims of
   * their records not running, and forgets them.
   *
   * @param lost whether the partitions were lost (another member may own them already): nothing is
   *     committed for them
   */
  void revoked(Collection<TopicPartition> tps, boolean lost) {
    completer.flush();
    if (!lost) {
      commit(tps);
    }
    for (Item<K, V> item : workers.revoke(tps)) {
      if (!item.done()) {
        item.outcome = Item.Outcome.LEFT;
        toRelease.add(item);
      }
    }
    releaseDropped();
    watermarks.forget(tps);
    holders.values().removeIf(item -> tps.contains(item.partition()));
    tps.forEach(tp -> metrics.watermarkLag(tp).set(0));
  }

  /**
   * Once stopping: waits for the workers (each ends after the record it runs; a hung handler holds
   * this as it holds close()), completes what succeeded, releases every claim still held and
   * commits the final watermarks.
   */
  void drain() {
    try {
      while (!workers.awaitIdle(BUSY_POLL.toMillis())) {
        completer.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boolean flushed = completer.flush();
    workers.queued().stream().filter(item -> !item.done()).forEach(toRelease::add);
    releaseDropped();
    renewer.dropAll();
    if (flushed && watermarks.advanced()) {
      commit(null);
    }
  }
}
