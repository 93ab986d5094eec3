package dev.exactly.processor;

import dev.exactly.internal.LagGauge;
import dev.exactly.internal.Meters;
import dev.exactly.internal.Metric;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The processor's meters, from the {@link Metric} catalogue's {@link Metric.C#PROCESSOR} entries,
 * tagged {@code component=processor}, {@code group=}the consumer group, {@code instance=}the
 * instance id.
 */
final class ProcessorMetrics {
  final Counter recordsIn;
  final Counter recordsOut;
  final Counter batches;
  final Counter commits;
  final Counter aborts;
  final Timer commitLatency;
  final Timer commitWait;
  final Counter deadLetters;
  final Counter rebalances;
  final Counter transactionTimeouts;
  final LagGauge lag;
  private final MeterRegistry registry;
  final Meters meters;

  /**
   * @param registry the user's registry, or null for a private one
   */
  ProcessorMetrics(MeterRegistry registry, String group, String instance) {
    this.meters = new Meters(registry, Metric.C.PROCESSOR, group, instance);
    this.registry = meters.registry();
    recordsIn = meters.counter(Metric.RECORDS_IN);
    recordsOut = meters.counter(Metric.RECORDS_OUT);
    batches = meters.counter(Metric.BATCHES);
    commits = meters.counter(Metric.COMMITS);
    aborts = meters.counter(Metric.ABORTS);
    deadLetters = meters.counter(Metric.DEAD_LETTERS);
    rebalances = meters.counter(Metric.REBALANCES);
    transactionTimeouts = meters.counter(Metric.TRANSACTION_TIMEOUTS);
    commitLatency = meters.timer(Metric.COMMIT_LATENCY);
    commitWait = meters.timer(Metric.COMMIT_WAIT);
    lag = new LagGauge(meters);
  }

  /** The registry the meters are in: the user's, or the private one. */
  MeterRegistry registry() {
    return registry;
  }
}
