package dev.exactly.internal;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The {@code exactly.lag} gauge of a component that polls Kafka: records between the consumer's
 * position and the end of its assigned partitions, as the consumer knew that end at its last poll.
 * One definition for every such component, so the gauge means the same everywhere. Records polled
 * but not yet committed past are not in it (the position is past them); the idempotent consumer
 * reports those as {@code exactly.dedup.watermark.lag}.
 *
 * <p>{@link #update} runs on the thread that polls (the Kafka consumer is not thread-safe); the
 * gauge is read from any thread.
 */
public final class LagGauge {
  private final AtomicLong lag = new AtomicLong();

  /**
   * Registers the gauge; {@code meters} holds it only weakly, so the owner keeps this object.
   *
   * @param extraTags tags beyond the common ones, as the component's other meters carry them
   */
  public LagGauge(Meters meters, String... extraTags) {
    meters.gauge(Metric.LAG, lag, AtomicLong::get, extraTags);
  }

  /**
   * Sums the lag of every partition assigned to {@code consumer}; a partition whose end the
   * consumer has not fetched yet counts 0. Call after each poll, on the polling thread.
   */
  public void update(Consumer<?, ?> consumer) {
    long sum = 0;
    for (TopicPartition tp : consumer.assignment()) {
      sum += consumer.currentLag(tp).orElse(0);
    }
    lag.set(sum);
  }

  /** The value at the last {@link #update}. */
  public long value() {
    return lag.get();
  }
}
