package dev.exactly.jdbc.sink;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the offsets the database committed to Kafka, for lag monitoring only: the database holds
 * the position the sink resumes from, so a lost or late mirror costs nothing but a stale lag.
 */
final class OffsetMirror {
  private static final Logger log = LoggerFactory.getLogger(OffsetMirror.class);

  /** Lag monitoring needs no more, and a commit per batch would cost the broker a write each. */
  private static final Duration INTERVAL = Duration.ofSeconds(1);

  private final SinkContext<?, ?> ctx;
  private long last;

  OffsetMirror(SinkContext<?, ?> ctx) {
    this.ctx = ctx;
    this.last = ctx.ticker.nanoTime();
  }

  /** Mirrors what is new, at most every {@link #INTERVAL} on the ticker. */
  void maybeMirror() {
    Map<TopicPartition, OffsetAndMetadata> unmirrored = ctx.own.unmirrored;
    if (unmirrored.isEmpty() || ctx.ticker.nanoTime() - last < INTERVAL.toNanos()) {
      return;
    }
    last = ctx.ticker.nanoTime();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(unmirrored);
    unmirrored.clear();
    ctx.consumer.commitAsync(
        offsets,
        (committed, e) -> {
          if (e != null) {
            log.debug("mirroring offsets to Kafka failed (monitoring only): {}", e.toString());
          }
        });
  }

  /** The last mirror, before the consumer closes. */
  void mirrorNow(Duration timeout) {
    Map<TopicPartition, OffsetAndMetadata> unmirrored = ctx.own.unmirrored;
    if (unmirrored.isEmpty()) {
      return;
    }
    try {
      ctx.consumer.commitSync(new HashMap<>(unmirrored), timeout);
    } catch (RuntimeException e) {
      log.debug("last offset mirror to Kafka failed (monitoring only): {}", e.toString());
    }
  }
}
