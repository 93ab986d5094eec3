package dev.exactly.dedup;

import dev.exactly.FaultPoint;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With concurrency: what a worker does with the first record of its lane. The record runs on the
 * claim it has, is skipped when its key is done (or an earlier record of the key succeeded), or
 * waits for the engine thread to claim its key afresh: when another instance holds it, when this
 * instance's claim was lost or is too old to start on, or when the record it followed gave up.
 */
final class LaneSteps<K, V> implements LaneWorkers.Step<K, V> {
  private static final Logger log = LoggerFactory.getLogger(LaneSteps.class);

  /** The shortest wait on another holder's lease, and the poll for an earlier record's outcome. */
  static final Duration MIN_WAIT = Duration.ofMillis(50);

  private static final long FOLLOW_POLL_MS = 5;

  private final ConsumerSettings<K, V> s;
  private final BatchProcessor<K, V> batch;
  private final HandlerRunner<K, V> runner;
  private final LeaseRenewer renewer;
  private final Completer<K, V> completer;
  private final DedupMetrics metrics;

  /** Takes the claims of records dead-lettered here, for the engine thread to release. */
  private final Consumer<Item<K, V>> release;

  LaneSteps(
      ConsumerSettings<K, V> s,
      BatchProcessor<K, V> batch,
      HandlerRunner<K, V> runner,
      LeaseRenewer renewer,
      Completer<K, V> completer,
      DedupMetrics metrics,
      Consumer<Item<K, V>> release) {
    this.s = s;
    this.batch = batch;
    this.runner = runner;
    this.renewer = renewer;
    this.completer = completer;
    this.metrics = metrics;
    this.release = release;
  }

  @Override
  public LaneWorkers.Next step(Item<K, V> item) {
    if (item.unhandleable()) {
      metrics.recordsIn.increment();
      return deadLetter(item);
    }
    Item<K, V> holder = item.follows;
    if (holder != null) {
      switch (holder.outcome) {
        case SUCCEEDED, SKIPPED -> {
          skip(
              item,
              holder.claim instanceof Claim.Done d
                  ? d.result()
                  : Optional.ofNullable(holder.result));
          return LaneWorkers.Next.DONE;
        }
        case PENDING -> {
          return waitUntil(item, now() + FOLLOW_POLL_MS);
        }
        default -> {
          // The earlier record gave the key up: this one claims it afresh.
          item.follows = null;
          return reclaim(item, now());
        }
      }
    }
    if (item.claim instanceof Claim.Done d) {
      skip(item, d.result());
      item.settled = true;
      return LaneWorkers.Next.DONE;
    }
    if (item.claim instanceof Claim.InFlight inFlight) {
      return waitForLease(item, inFlight);
    }
    if (item.claimed() == null || renewer.lost(item.dedupKey)) {
      // Another instance holds the key now (the renewer warned): its turn first.
      return reclaim(item, now() + MIN_WAIT.toMillis());
    }
    if (!renewer.renewing(item.dedupKey)) {
      // Claimed so long ago (queued behind a slow record) that renewals stopped: claim it anew.
      metrics.reclaims.increment();
      return reclaim(item, now());
    }
    if (leaseHalfGone(item)) {
      metrics.reclaims.increment();
      log.debug("{}: half the lease has passed; {} waits for a fresh claim", s.name(), item);
      return reclaim(item, now());
    }
    return handle(item);
  }

  /**
   * Every handler starts with at least half a lease ahead of it: past half a lease since its claim
   * and the last renewal, while renewals fail, the record is claimed afresh first.
   */
  private boolean leaseHalfGone(Item<K, V> item) {
    long since = Math.max(renewer.renewedAtNanos(), item.claimedAtNanos);
    return s.ticker().nanoTime() - since >= s.lease().toNanos() / 2;
  }

  private LaneWorkers.Next handle(Item<K, V> item) {
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
        if (item.completed) {
          // The effect and its key committed together, in the effect's transaction.
          metrics.claimed.increment();
          item.outcome = Item.Outcome.SUCCEEDED;
          item.settled = true;
          s.faults().reached(FaultPoint.CONSUMER_AFTER_COMPLETE);
        } else {
          item.outcome = Item.Outcome.SUCCEEDED;
          completer.add(item);
        }
        return LaneWorkers.Next.DONE;
      }
      case LOST -> {
        metrics.leasesLost.increment();
        log.warn(
            "{}: {} lost its claim before its transaction; if taken over, lengthen the lease",
            s.name(),
            item);
        item.claim = null;
        return reclaim(item, now() + MIN_WAIT.toMillis());
      }
      case FAILED -> {
        return deadLetter(item);
      }
      default -> {
        return LaneWorkers.Next.STOP;
      }
    }
  }

  private LaneWorkers.Next deadLetter(Item<K, V> item) {
    if (!batch.deadLetter(item)) {
      return LaneWorkers.Next.STOP;
    }
    if (item.claimed() != null) {
      release.accept(item);
    }
    item.outcome = Item.Outcome.DEAD_LETTERED;
    item.settled = true;
    return LaneWorkers.Next.DONE;
  }

  private LaneWorkers.Next waitForLease(Item<K, V> item, Claim.InFlight inFlight) {
    metrics.inFlightWaits.increment();
    long now = now();
    long wait =
        Math.min(
            Math.max(inFlight.leaseExpiry().toEpochMilli() - now, MIN_WAIT.toMillis()),
            s.lease().toMillis());
    // INFO, not DEBUG: a key standing still for up to a lease looks like a hang otherwise.
    log.info(
        "{}: {} waits {} ms: its key is held by another instance until {} (its effect may be"
            + " running there, or that instance died and its lease must run out first); other"
            + " keys keep going",
        s.name(),
        item,
        wait,
        inFlight.leaseExpiry());
    return reclaim(item, now + wait);
  }

  private LaneWorkers.Next reclaim(Item<K, V> item, long atMillis) {
    item.needsClaim = true;
    return waitUntil(item, atMillis);
  }

  private static <K, V> LaneWorkers.Next waitUntil(Item<K, V> item, long atMillis) {
    item.retryAtMillis = atMillis;
    return LaneWorkers.Next.WAIT;
  }

  private void skip(Item<K, V> item, Optional<StoredResult> result) {
    metrics.recordsIn.increment();
    metrics.duplicatesSkipped.increment();
    item.outcome = Item.Outcome.SKIPPED;
    batch.skipped(item, result);
  }

  private long now() {
    return s.ticker().millis();
  }
}
