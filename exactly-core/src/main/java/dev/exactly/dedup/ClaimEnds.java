package dev.exactly.dedup;

import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.internal.Waits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a batch's claims in the store: releases the ones whose effect did not complete, and
 * completes the rest, retrying the completion until it gets through or the consumer stops (the
 * offsets wait for it). Engine thread only.
 */
final class ClaimEnds {
  private static final Logger log = LoggerFactory.getLogger(ClaimEnds.class);

  private final ConsumerSettings<?, ?> s;
  private final DedupStore store;
  private final DedupMetrics metrics;
  private final FaultInjection faults;
  private final BooleanSupplier running;

  ClaimEnds(ConsumerSettings<?, ?> s, DedupMetrics metrics, BooleanSupplier running) {
    this.s = s;
    this.store = s.store();
    this.metrics = metrics;
    this.faults = s.faults();
    this.running = running;
  }

  void release(List<Claim.Claimed> claims) {
    if (claims.isEmpty()) {
      return;
    }
    try {
      metrics.timed(
          metrics.releaseLatency,
          () -> {
            store.release(claims);
            return null;
          });
    } catch (DedupStoreException e) {
      // Harmless: an unreleased claim only delays a retry until its lease expires.
      metrics.releaseErrors.increment();
      log.warn("{}: could not release {} claims: {}", s.name(), claims.size(), e.getMessage());
    }
  }

  /** Marks the effects done; false when stopping came first (then nothing may be committed). */
  boolean complete(List<Claim.Claimed> succeeded, Map<String, StoredResult> results) {
    if (succeeded.isEmpty()) {
      return true;
    }
    for (int failures = 1; ; failures++) {
      try {
        Set<String> lost =
            metrics.timed(
                metrics.completeLatency, () -> store.complete(succeeded, s.retention(), results));
        metrics.claimed.increment(succeeded.size());
        if (!lost.isEmpty()) {
          metrics.leasesLost.increment(lost.size());
          log.warn(
              "{}: {} key(s) ran after their lease expired and another instance took them over"
                  + " (renewals did not get through in time); check the store's reachability, or"
                  + " lengthen dedup.lease. Examples: {}",
              s.name(),
              lost.size(),
              lost.stream().limit(5).toList());
        }
        break;
      } catch (DedupStoreException e) {
        metrics.completeErrors.increment();
        Duration backoff = IdempotentEngine.STORE_BACKOFF.backoffAfter(failures);
        log.warn(
            "{}: dedup store could not mark {} keys done ({}); offsets wait, retrying in {}",
            s.name(),
            succeeded.size(),
            e.getMessage(),
            backoff);
        if (!Waits.sleepWhileQuietly(s.ticker(), backoff, running)) {
          return false;
        }
      }
    }
    faults.reached(FaultPoint.CONSUMER_AFTER_COMPLETE);
    return true;
  }
}
