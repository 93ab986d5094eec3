package dev.exactly.dedup;

import dev.exactly.Ticker;
import dev.exactly.internal.LagGauge;
import dev.exactly.internal.Meters;
import dev.exactly.internal.Metric;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;

/**
 * The idempotent consumer's meters, exactly those the {@link Metric} catalogue lists for {@link
 * Metric.C#CONSUMER}, tagged component/group/instance and, on every one, {@code store} (the store's
 * name); the store's latency and errors also carry {@code op}.
 */
final class DedupMetrics {
  /** Records the engine took up: handled, skipped as duplicates or dead-lettered, each time. */
  final Counter recordsIn;

  final Counter claimed;
  final Counter duplicatesSkipped;
  final Counter inFlightWaits;
  final Counter leasesLost;
  final Counter reclaims;
  final Counter handlerFailures;
  final Counter deadLettered;
  final Timer handlerLatency;
  final Timer claimLatency;
  final Timer completeLatency;
  final Timer releaseLatency;
  final Timer extendLatency;
  final Timer workerWait;
  final Counter claimErrors;
  final Counter completeErrors;
  final Counter releaseErrors;
  final Counter extendErrors;

  /**
   * The start-up retention check: {@link #RETENTION_SHORT} when the dedup retention is shorter than
   * the input topic's {@code retention.ms}, {@link #RETENTION_OK} when not, {@link
   * #RETENTION_UNKNOWN} before the check or when the topic's setting could not be read.
   */
  /** Handlers running now (with concurrency, up to its value; else 0 or 1). */
  final AtomicInteger handlersInFlight = new AtomicInteger();

  final AtomicInteger retentionCheck = new AtomicInteger(RETENTION_UNKNOWN);

  /** Records behind the end of the assigned partitions at the last poll; engine thread updates. */
  final LagGauge lag;

  static final int RETENTION_UNKNOWN = -1;
  static final int RETENTION_OK = 0;
  static final int RETENTION_SHORT = 1;

  private final Ticker ticker;
  private final Meters meters;
  private final String store;
  private final Map<TopicPartition, AtomicLong> watermarkLags = new ConcurrentHashMap<>();

  DedupMetrics(MeterRegistry registry, ConsumerSettings<?, ?> s) {
    this.ticker = s.ticker();
    Meters m = new Meters(registry, Metric.C.CONSUMER, s.groupId(), s.instanceId());
    String store = s.store().name();
    this.meters = m;
    this.store = store;
    recordsIn = m.counter(Metric.RECORDS_IN, "store", store);
    claimed = m.counter(Metric.DEDUP_CLAIMS, "store", store);
    duplicatesSkipped = m.counter(Metric.DEDUP_DUPLICATES, "store", store);
    inFlightWaits = m.counter(Metric.DEDUP_INFLIGHT_WAITS, "store", store);
    leasesLost = m.counter(Metric.DEDUP_LEASES_LOST, "store", store);
    reclaims = m.counter(Metric.DEDUP_RECLAIMS, "store", store);
    handlerFailures = m.counter(Metric.HANDLER_FAILURES, "store", store);
    deadLettered = m.counter(Metric.DEAD_LETTERS, "store", store);
    handlerLatency = m.timer(Metric.DEDUP_HANDLER_LATENCY, "store", store);
    claimLatency = m.timer(Metric.DEDUP_STORE_LATENCY, "store", store, "op", "claim");
    completeLatency = m.timer(Metric.DEDUP_STORE_LATENCY, "store", store, "op", "complete");
    releaseLatency = m.timer(Metric.DEDUP_STORE_LATENCY, "store", store, "op", "release");
    extendLatency = m.timer(Metric.DEDUP_STORE_LATENCY, "store", store, "op", "extend");
    workerWait = m.timer(Metric.DEDUP_WORKER_WAIT, "store", store);
    claimErrors = m.counter(Metric.DEDUP_STORE_ERRORS, "store", store, "op", "claim");
    completeErrors = m.counter(Metric.DEDUP_STORE_ERRORS, "store", store, "op", "complete");
    releaseErrors = m.counter(Metric.DEDUP_STORE_ERRORS, "store", store, "op", "release");
    extendErrors = m.counter(Metric.DEDUP_STORE_ERRORS, "store", store, "op", "extend");
    m.gauge(Metric.DEDUP_HANDLERS_IN_FLIGHT, handlersInFlight, AtomicInteger::get, "store", store);
    m.gauge(Metric.DEDUP_RETENTION_SHORT, retentionCheck, AtomicInteger::get, "store", store);
    lag = new LagGauge(m, "store", store);
  }

  /**
   * The watermark lag of {@code tp}, its gauge registered on first use and kept (reading 0) after
   * the partition moves on. Any thread.
   */
  AtomicLong watermarkLag(TopicPartition tp) {
    return watermarkLags.computeIfAbsent(
        tp,
        k -> {
          AtomicLong lag = new AtomicLong();
          meters.gauge(
              Metric.DEDUP_WATERMARK_LAG,
              lag,
              AtomicLong::get,
              "store",
              store,
              "topic",
              k.topic(),
              "partition",
              Integer.toString(k.partition()));
          return lag;
        });
  }

  /** Runs one store call, timing it on the consumer's ticker. */
  <T> T timed(Timer timer, Supplier<T> call) {
    long start = ticker.nanoTime();
    try {
      return call.get();
    } finally {
      timer.record(ticker.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  /** Registers the component's state gauges, tagged with the store like every other meter here. */
  void registerState(dev.exactly.internal.Lifecycle lifecycle) {
    lifecycle.registerStateGauges(meters, "store", store);
  }
}
