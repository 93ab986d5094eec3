package dev.exactly.jdbc.outbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** The relay's meters, all under {@code exactly.outbox.}, tagged with the relay's name. */
final class OutboxMetrics {
  static final String BACKLOG = "exactly.outbox.backlog";
  static final String BACKLOG_AGE = "exactly.outbox.backlog.oldest.age";
  static final String GAPS = "exactly.outbox.gaps";
  static final String PUBLISHED = "exactly.outbox.published";
  static final String LATENCY = "exactly.outbox.latency";
  static final String ABANDONED = "exactly.outbox.gaps.abandoned";
  static final String DELETED = "exactly.outbox.deleted";
  static final String DEAD_LETTERED = "exactly.outbox.dead.lettered";
  static final String BATCHES_ABORTED = "exactly.outbox.batches.aborted";

  private final AtomicLong backlog = new AtomicLong();
  private final AtomicLong backlogAgeMillis = new AtomicLong();
  private final AtomicLong gaps = new AtomicLong();
  private final Counter published;
  private final Counter abandoned;
  private final Counter deleted;
  private final Counter deadLettered;
  private final Counter aborted;
  private final Timer latency;

  OutboxMetrics(MeterRegistry registry, String relay) {
    Tags tags = Tags.of("relay", relay);
    Gauge.builder(BACKLOG, backlog, AtomicLong::get)
        .description(
            "Rows committed to the outbox and not yet published; an upper bound from the id"
                + " range, where ids of rolled-back or open transactions count too")
        .baseUnit("rows")
        .tags(tags)
        .register(registry);
    Gauge.builder(BACKLOG_AGE, backlogAgeMillis, a -> a.get() / 1000.0)
        .description("Age of the oldest row not yet published")
        .baseUnit("seconds")
        .tags(tags)
        .register(registry);
    Gauge.builder(GAPS, gaps, AtomicLong::get)
        .description("Ids below the high-water mark awaited because their transaction may commit")
        .tags(tags)
        .register(registry);
    published =
        Counter.builder(PUBLISHED)
            .description("Rows published in committed Kafka transactions")
            .baseUnit("rows")
            .tags(tags)
            .register(registry);
    abandoned =
        Counter.builder(ABANDONED)
            .description("Awaited ids given up because no transaction could still commit them")
            .tags(tags)
            .register(registry);
    deleted =
        Counter.builder(DELETED)
            .description("Published rows deleted after the retention")
            .baseUnit("rows")
            .tags(tags)
            .register(registry);
    deadLettered =
        Counter.builder(DEAD_LETTERED)
            .description("Rows Kafka refused for good, sent to the dead-letter topic")
            .baseUnit("rows")
            .tags(tags)
            .register(registry);
    aborted =
        Counter.builder(BATCHES_ABORTED)
            .description("Kafka transactions aborted; their rows are published again")
            .tags(tags)
            .register(registry);
    latency =
        Timer.builder(LATENCY)
            .description("From the row's write to the commit of the transaction publishing it")
            .tags(tags)
            .register(registry);
  }

  void published(int rows, long[] createdAtMillis, long nowMillis) {
    published.increment(rows);
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
