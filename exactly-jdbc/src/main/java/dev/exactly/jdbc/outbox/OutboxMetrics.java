package dev.exactly.jdbc.outbox;

import dev.exactly.internal.Meters;
import dev.exactly.internal.Metric;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The relay's meters, from the {@link Metric} catalogue's {@link Metric.C#RELAY} entries, tagged
 * {@code component=outbox-relay}, {@code group=}the relay's name, {@code instance=}its instance id.
 */
final class OutboxMetrics {
  private final AtomicLong backlog = new AtomicLong();
  private final AtomicLong backlogAgeMillis = new AtomicLong();
  private final AtomicLong gaps = new AtomicLong();
  private final Counter published;
  private final Counter abandoned;
  private final Counter timedOut;
  private final Counter dropped;
  private final Counter late;
  private final Counter deleted;
  private final Counter deadLettered;
  private final Counter aborted;
  private final Timer latency;

  OutboxMetrics(Meters meters) {
    meters.gauge(Metric.OUTBOX_BACKLOG, backlog, AtomicLong::get);
    meters.gauge(Metric.OUTBOX_BACKLOG_AGE, backlogAgeMillis, a -> a.get() / 1000.0);
    meters.gauge(Metric.OUTBOX_GAPS, gaps, AtomicLong::get);
    published = meters.counter(Metric.RECORDS_COMMITTED);
    abandoned = meters.counter(Metric.OUTBOX_GAPS_ABANDONED);
    timedOut = meters.counter(Metric.OUTBOX_GAPS_TIMED_OUT);
    dropped = meters.counter(Metric.OUTBOX_GAPS_DROPPED);
    late = meters.counter(Metric.OUTBOX_LATE_ROWS);
    deleted = meters.counter(Metric.OUTBOX_DELETED);
    deadLettered = meters.counter(Metric.DEAD_LETTERS);
    aborted = meters.counter(Metric.ABORTS);
    latency = meters.timer(Metric.OUTBOX_LATENCY);
  }

  /** Rows of a committed transaction that went to their topic, with their write times. */
  void published(long[] createdAtMillis, long nowMillis) {
    published.increment(createdAtMillis.length);
    for (long created : createdAtMillis) {
      latency.record(Duration.ofMillis(Math.max(0, nowMillis - created)));
    }
  }

  void backlog(long rows, long ageMillis, int openGaps) {
    backlog.set(rows);
    backlogAgeMillis.set(ageMillis);
    gaps.set(openGaps);
  }

  void abandoned(int n) {
    abandoned.increment(n);
  }

  void timedOut(int n) {
    timedOut.increment(n);
  }

  void dropped(long n) {
    dropped.increment(n);
  }

  void late(int n) {
    late.increment(n);
  }

  void deleted(int n) {
    deleted.increment(n);
  }

  void deadLettered() {
    deadLettered.increment();
  }

  void aborted() {
    aborted.increment();
  }
}
