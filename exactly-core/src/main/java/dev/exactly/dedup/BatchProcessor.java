package dev.exactly.dedup;

import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.internal.DeadLetterProducer;
import dev.exactly.internal.DeadLetterWarnings;
import dev.exactly.internal.DeadLetters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Processes one poll batch at a time in the order that makes the guarantee: claim every key in one
 * store call (the {@link LeaseRenewer} keeps them alive from then on), handle (or skip, or
 * dead-letter) each record in partition order, release the claims whose effect did not complete,
 * complete the rest in one store call, and only then commit the offsets. Engine thread only.
 */
final class BatchProcessor<K, V> {
  private static final Logger log = LoggerFactory.getLogger(BatchProcessor.class);
  private static final Duration MIN_IN_FLIGHT_WAIT = Duration.ofMillis(50);

  private final ConsumerSettings<K, V> s;
  private final Consumer<byte[], byte[]> consumer;
  private final DeadLetterProducer deadLetters;
  private final DedupMetrics metrics;
  private final ItemReader<K, V> reader;
  private final HandlerRunner<K, V> runner;
  private final LeaseRenewer renewer;
  private final ClaimEnds ends;
  private final PausedPartitions paused;
  private final BooleanSupplier running;
  private final DedupStore store;
  private final FaultInjection faults;
  private final DeadLetterWarnings warnings;

  /**
   * With concurrency above 1, claims and runs the records across polls; null runs each poll here,
   * in order, before the next.
   */
  private final Pipeline<K, V> pipeline;

  // The batch in hand. The item that holds each key's claim: the first of the batch to use the key
  // (handle it, or leave it for the next poll); later records of the key follow its outcome.
  private final Map<String, Item<K, V>> holders = new LinkedHashMap<>();
  private final Map<TopicPartition, Long> nextOffsets = new LinkedHashMap<>();

  BatchProcessor(
      ConsumerSettings<K, V> s,
      Consumer<byte[], byte[]> consumer,
      DeadLetterProducer deadLetters,
      DedupMetrics metrics,
      ItemReader<K, V> reader,
      PausedPartitions paused,
      LeaseRenewer renewer,
      Executor executor,
      BooleanSupplier running) {
    this.s = s;
    this.consumer = consumer;
    this.deadLetters = deadLetters;
    this.metrics = metrics;
    this.reader = reader;
    this.runner = new HandlerRunner<>(s, metrics, renewer, running);
    this.renewer = renewer;
    this.ends = new ClaimEnds(s, metrics, running);
    this.paused = paused;
    this.running = running;
    this.store = s.store();
    this.faults = s.faults();
    this.warnings = new DeadLetterWarnings("idempotent consumer " + s.name(), s.ticker());
    this.pipeline =
        s.concurrency() > 1
            ? new Pipeline<>(s, this, reader, runner, renewer, ends, metrics, executor, running)
            : null;
  }

  /** How long the next poll may wait for records. */
  Duration pollTimeout() {
    return pipeline != null ? pipeline.pollTimeout() : s.pollTimeout();
  }

  /** After every poll, records or not: with concurrency, the pipeline's turn on this thread. */
  void afterPoll() {
    if (pipeline != null) {
      pipeline.tick(consumer);
    }
  }

  /** Once stopping: with concurrency, ends what is in flight before the consumer closes. */
  void stop() {
    if (pipeline != null) {
      pipeline.drain();
    }
  }

  /** From the rebalance listener: {@code partitions} were revoked, or lost. */
  void revoked(Collection<TopicPartition> partitions, boolean lost) {
    paused.forget(partitions);
    if (pipeline != null) {
      pipeline.revoked(partitions, lost);
    } else {
      // Each poll commits before the next, so nothing of the serial consumer is pending here.
      renewer.forget(partitions);
      partitions.forEach(tp -> metrics.watermarkLag(tp).set(0));
    }
  }

  /**
   * @throws DedupStoreException when the claim failed: nothing was processed and every partition of
   *     the batch is rewound, to be polled again
   */
  void process(ConsumerRecords<byte[], byte[]> polled) {
    if (pipeline != null) {
      pipeline.accept(polled);
      return;
    }
    holders.clear();
    nextOffsets.clear();
    Map<TopicPartition, List<Item<K, V>>> partitions = new LinkedHashMap<>();
    List<String> keys = new ArrayList<>();
    for (TopicPartition tp : polled.partitions()) {
      List<Item<K, V>> items = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> raw : polled.records(tp)) {
        Item<K, V> item = reader.read(raw);
        items.add(item);
        if (!item.unhandleable()) {
          keys.add(item.dedupKey);
        }
      }
      partitions.put(tp, items);
      metrics.watermarkLag(tp).set(items.size());
    }
    Map<String, Claim> claims;
    long claimedAtNanos = s.ticker().nanoTime();
    try {
      claims = metrics.timed(metrics.claimLatency, () -> store.claim(keys, s.lease()));
    } catch (DedupStoreException e) {
      metrics.claimErrors.increment();
      partitions.forEach((tp, items) -> seekTo(tp, items.get(0).offset()));
      throw e;
    }
    partitions.forEach(
        (tp, items) -> {
          for (Item<K, V> item : items) {
            item.claim = item.unhandleable() ? null : claims.get(item.dedupKey);
            if (item.claimed() != null) {
              renewer.hold(item.claimed(), tp, item.offset(), claimedAtNanos);
            }
          }
        });
    boolean stopped = false;
    for (Map.Entry<TopicPartition, List<Item<K, V>>> e : partitions.entrySet()) {
      if (stopped) {
        leaveFrom(e.getKey(), e.getValue(), 0);
      } else {
        stopped = !processPartition(e.getKey(), e.getValue());
      }
    }
    if (endClaims(renewer.dropAll())) {
      commit();
    }
    // Committed past what was done; what was left is polled again, whatever the lag said.
    partitions.keySet().forEach(tp -> metrics.watermarkLag(tp).set(0));
  }

  /** False when stopping cut the partition short; the rest of the batch is not processed. */
  private boolean processPartition(TopicPartition tp, List<Item<K, V>> items) {
    for (int i = 0; i < items.size(); i++) {
      Item<K, V> item = items.get(i);
      if (!running.getAsBoolean()) {
        leaveFrom(tp, items, i);
        return false;
      }
      if (item.unhandleable()) {
        metrics.recordsIn.increment();
        if (!deadLetter(item)) {
          leaveFrom(tp, items, i);
          return false;
        }
        done(tp, item, Item.Outcome.DEAD_LETTERED);
        continue;
      }
      Item<K, V> holder = holders.get(item.dedupKey);
      if (holder != null) {
        if (holder.outcome == Item.Outcome.SUCCEEDED) {
          skipDuplicate(tp, item, Optional.ofNullable(holder.result));
          continue;
        }
        // The key failed earlier in this batch and its claim is gone: claim it afresh next poll.
        leaveFrom(tp, items, i);
        return true;
      }
      if (item.claim instanceof Claim.Done done) {
        skipDuplicate(tp, item, done.result());
      } else if (item.claim instanceof Claim.InFlight inFlight) {
        waitForLease(tp, items, i, inFlight);
        return true;
      } else if (renewer.lost(item.dedupKey)) {
        // Another instance holds the key now (the renewer warned): its turn, not ours.
        leaveFrom(tp, items, i);
        return true;
      } else if (leaseHalfGone()) {
        metrics.reclaims.increment(items.size() - i);
        log.debug("{}: half the lease has passed; {} waits for a fresh claim", s.name(), item);
        leaveFrom(tp, items, i);
        return true;
      } else if (!handle(tp, items, i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The renewer keeps the batch's leases alive; but while its renewals fail, a late item of a slow
   * batch could start on a lease about to pass to another caller. Past half a lease since the last
   * renewal the item and the rest of its partition are left instead, to be claimed afresh on the
   * next poll: every handler starts with at least half a lease ahead of it.
   */
  boolean leaseHalfGone() {
    return s.ticker().nanoTime() - renewer.renewedAtNanos() >= s.lease().toNanos() / 2;
  }

  /** Runs the handler for claimed item {@code i}; false when stopping cut it short. */
  private boolean handle(TopicPartition tp, List<Item<K, V>> items, int i) {
    Item<K, V> item = items.get(i);
    holders.put(item.dedupKey, item);
    metrics.recordsIn.increment();
    HandlerRunner.Result result = runner.run(item);
    if (result == HandlerRunner.Result.SUCCEEDED) {
      done(tp, item, Item.Outcome.SUCCEEDED);
      if (item.completed) {
        // The effect and its key committed together; the offset is not yet committed.
        metrics.claimed.increment();
        faults.reached(FaultPoint.CONSUMER_AFTER_COMPLETE);
      }
      return true;
    }
    if (result == HandlerRunner.Result.LOST) {
      // Nothing was written. Whoever holds the key now does (or did) the effect; the record is
      // polled again, and finds the key done or waits for that holder's lease. Its release is a
      // no-op, as the stored claim no longer carries this token.
      metrics.leasesLost.increment();
      log.warn(
          "{}: {} lost its claim before its transaction (taken over, or completed by an attempt"
              + " whose commit reply was lost); if taken over, lengthen the lease",
          s.name(),
          item);
      item.outcome = Item.Outcome.LEFT;
      leaveFrom(tp, items, i);
      return true;
    }
    if (result == HandlerRunner.Result.FAILED && deadLetter(item)) {
      done(tp, item, Item.Outcome.DEAD_LETTERED);
      return true;
    }
    // Stopping between attempts or before the dead letter was safe: the effect did not complete,
    // so the key is freed at once and the record polled again.
    item.outcome = Item.Outcome.LEFT;
    leaveFrom(tp, items, i);
    return false;
  }

  private void done(TopicPartition tp, Item<K, V> item, Item.Outcome outcome) {
    item.outcome = outcome;
    nextOffsets.put(tp, item.offset() + 1);
  }

  /** Pauses the partition until another holder's lease on the item's key ends. */
  private void waitForLease(
      TopicPartition tp, List<Item<K, V>> items, int i, Claim.InFlight inFlight) {
    metrics.inFlightWaits.increment();
    leaveFrom(tp, items, i);
    pauseFor(tp, inFlight);
  }

  /** Pauses the partition until another holder's lease ends; engine thread. */
  void pauseFor(TopicPartition tp, Claim.InFlight inFlight) {
    long now = paused.nowMillis();
    long wait =
        Math.min(
            Math.max(inFlight.leaseExpiry().toEpochMilli() - now, MIN_IN_FLIGHT_WAIT.toMillis()),
            s.lease().toMillis());
    // INFO, not DEBUG: a partition standing still for up to a lease looks like a hang otherwise.
    // At most one line per partition and lease.
    log.info(
        "{}: {} pauses for {} ms: key {} is held by another instance until {} (its effect may be"
            + " running there, or that instance died and its lease must run out first)",
        s.name(),
        tp,
        wait,
        inFlight.key(),
        inFlight.leaseExpiry());
    paused.pause(consumer, tp, now + wait);
  }

  /**
   * Leaves items from {@code from} on for the next poll: seeks back to the first, and marks the
   * claims they hold (and no earlier item uses) to be released.
   */
  private void leaveFrom(TopicPartition tp, List<Item<K, V>> items, int from) {
    for (int j = from; j < items.size(); j++) {
      Item<K, V> item = items.get(j);
      if (item.claimed() != null && !holders.containsKey(item.dedupKey)) {
        holders.put(item.dedupKey, item);
        item.outcome = Item.Outcome.LEFT;
      }
    }
    if (from < items.size()) {
      seekTo(tp, items.get(from).offset());
    }
  }

  void seekTo(TopicPartition tp, long offset) {
    try {
      consumer.seek(tp, offset);
    } catch (IllegalStateException notAssigned) {
      // lost in a rebalance; the new owner starts from the committed offset
    }
  }

  private void skipDuplicate(TopicPartition tp, Item<K, V> item, Optional<StoredResult> result) {
    metrics.recordsIn.increment();
    metrics.duplicatesSkipped.increment();
    done(tp, item, Item.Outcome.SKIPPED);
    skipped(item, result);
  }

  /** Tells the duplicate listener; with concurrency called from a worker. */
  void skipped(Item<K, V> item, Optional<StoredResult> result) {
    try {
      s.onDuplicate().onDuplicate(item.handlerRecord(), result);
    } catch (RuntimeException e) {
      log.warn("{}: the duplicate listener threw for {}; ignored", s.name(), item, e);
    }
  }

  /** Writes the item to the dead-letter topic; false only when stopping came first. */
  synchronized boolean deadLetter(Item<K, V> item) {
    try {
      boolean written =
          deadLetters.send(
              DeadLetters.ofRecord(
                  s.deadLetterTopic(),
                  item.raw,
                  item.failureReason,
                  item.failure,
                  Math.max(1, item.attempts)),
              running);
      if (written) {
        metrics.deadLettered.increment();
        warnings.gaveUp(
            item + " after " + Math.max(1, item.attempts) + " attempt(s)",
            s.deadLetterTopic(),
            item.failureReason,
            item.failure);
        faults.reached(FaultPoint.CONSUMER_AFTER_DEAD_LETTER);
      }
      return written;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Releases the claims whose effect did not complete, then completes the rest but for keys
   * renewals found taken over: their new holder owns them now (as with a completion the store
   * refuses). False when stopping came first (nothing is committed).
   */
  private boolean endClaims(Set<String> lostByRenewal) {
    ends.release(holders.values().stream().filter(Item::mustRelease).map(Item::claimed).toList());
    List<Claim.Claimed> succeeded = new ArrayList<>();
    Map<String, StoredResult> results = new HashMap<>();
    for (Item<K, V> item : holders.values()) {
      if (item.outcome == Item.Outcome.SUCCEEDED
          && !item.completed
          && !lostByRenewal.contains(item.dedupKey)) {
        succeeded.add(item.claimed());
        if (item.result != null) {
          results.put(item.dedupKey, item.result);
        }
      }
    }
    return ends.complete(succeeded, results);
  }

  private void commit() {
    commit(nextOffsets);
  }

  /** Commits {@code next} offsets; engine thread. */
  void commit(Map<TopicPartition, Long> nextByPartition) {
    if (nextByPartition.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    nextByPartition.forEach((tp, next) -> offsets.put(tp, new OffsetAndMetadata(next)));
    try {
      consumer.commitSync(offsets);
    } catch (CommitFailedException | RebalanceInProgressException e) {
      // The partitions moved on; their new owner finds these keys done and skips them.
      log.info(
          "{}: offset commit refused by a rebalance ({}); keys are done", s.name(), e.getMessage());
      return;
    } catch (WakeupException e) {
      // close() woke us: commit once more, since the keys are done and this saves replays.
      try {
        consumer.commitSync(offsets);
      } catch (KafkaException again) {
        log.info("{}: last offset commit failed on close: {}", s.name(), again.getMessage());
        return;
      }
    }
    faults.reached(FaultPoint.CONSUMER_AFTER_COMMIT);
  }
}
