package dev.exactly.jdbc.sink;

import dev.exactly.internal.LagGauge;
import dev.exactly.internal.Meters;
import dev.exactly.internal.Metric;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The sink's meters, exactly those the {@link Metric} catalogue lists for {@link Metric.C#SINK},
 * tagged component, group and instance.
 */
final class SinkMetrics {
  /** Records handed to the handler, every attempt (retry, bisection) counted. */
  final Counter recordsIn;

  /** Records whose rows and offsets committed. */
  final Counter recordsCommitted;

  final Counter deadLetters;

  /** Batches and claims tried again after a transient database error. */
  final Counter retries;

  final Counter fencedCommits;

  /** From opening a batch's transaction to its commit, handler included. */
  final Timer commitLatency;

  /** Records in each committed batch. */
  final DistributionSummary batchSize;

  /** Records behind the end of the assigned partitions at the last poll; engine thread updates. */
  final LagGauge lag;

  final Meters meters;

  /**
   * @param registry the user's registry, or null for a private one
   */
  SinkMetrics(MeterRegistry registry, String group, String instance) {
    this.meters = new Meters(registry, Metric.C.SINK, group, instance);
    recordsIn = meters.counter(Metric.RECORDS_IN);
    recordsCommitted = meters.counter(Metric.RECORDS_COMMITTED);
    deadLetters = meters.counter(Metric.DEAD_LETTERS);
    retries = meters.counter(Metric.RETRIES);
    fencedCommits = meters.counter(Metric.FENCED_COMMITS);
    commitLatency = meters.timer(Metric.COMMIT_LATENCY);
    batchSize = meters.summary(Metric.BATCH_SIZE);
    lag = new LagGauge(meters);
  }
}
