package dev.exactly.dedup;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The idempotent consumer's meters, all under {@code exactly.dedup.}, tagged by group and store.
 */
final class DedupMetrics {
  final Counter claimed;
  final Counter duplicatesSkipped;
  final Counter inFlightWaits;
  final Counter leasesLost;
  final Counter handlerFailures;
  final Counter deadLettered;
  final Timer claimLatency;
  final Timer completeLatency;
  final Timer releaseLatency;
  final Counter claimErrors;
  final Counter completeErrors;
  final Counter releaseErrors;

  /**
   * The start-up retention check: {@link #RETENTION_SHORT} when the dedup retention is shorter than
   * the input topic's {@code retention.ms}, {@link #RETENTION_OK} when not, {@link
   * #RETENTION_UNKNOWN} before the check or when the topic's setting could not be read.
   */
  final AtomicInteger retentionCheck = new AtomicInteger(RETENTION_UNKNOWN);

  static final int RETENTION_UNKNOWN = -1;
  static final int RETENTION_OK = 0;
  static final int RETENTION_SHORT = 1;

  DedupMetrics(MeterRegistry registry, String group, String store) {
    Tags tags = Tags.of("group", group, "store", store);
    claimed =
        Counter.builder("exactly.dedup.claims")
            .description("Keys claimed: their effect runs")
            .tags(tags)
            .register(registry);
    duplicatesSkipped =
        Counter.builder("exactly.dedup.duplicates.skipped")
            .description("Records skipped because their key's effect was already done")
            .tags(tags)
            .register(registry);
    inFlightWaits =
        Counter.builder("exactly.dedup.inflight.waits")
            .description("Times a partition waited for another holder's lease on a key")
            .tags(tags)
            .register(registry);
    leasesLost =
        Counter.builder("exactly.dedup.leases.lost")
            .description("Completions refused because the lease expired and was taken over")
            .tags(tags)
            .register(registry);
    handlerFailures =
        Counter.builder("exactly.dedup.handler.failures")
            .description("Handler attempts that threw")
            .tags(tags)
            .register(registry);
    deadLettered =
        Counter.builder("exactly.dedup.dead.letters")
            .description("Records written to the dead-letter topic")
            .tags(tags)
            .register(registry);
    claimLatency = latency(registry, tags, "claim");
    completeLatency = latency(registry, tags, "complete");
    releaseLatency = latency(registry, tags, "release");
    claimErrors = errors(registry, tags, "claim");
    completeErrors = errors(registry, tags, "complete");
    releaseErrors = errors(registry, tags, "release");
    Gauge.builder("exactly.dedup.retention.short", retentionCheck, AtomicInteger::get)
        .description(
            "1 when the dedup retention is shorter than the input topic's retention.ms (a replay"
                + " could run effects again), 0 when not, -1 when unknown")
        .tags(tags)
        .register(registry);
  }

  private static Timer latency(MeterRegistry registry, Tags tags, String op) {
    return Timer.builder("exactly.dedup.store.latency")
        .description("Time of one dedup store call (one per poll batch)")
        .tags(tags.and("op", op))
        .register(registry);
  }

  private static Counter errors(MeterRegistry registry, Tags tags, String op) {
    return Counter.builder("exactly.dedup.store.errors")
        .description("Dedup store calls that failed; nothing was decided by them")
        .tags(tags.and("op", op))
        .register(registry);
  }
}
