package dev.exactly.jdbc.sink;

import dev.exactly.jdbc.sink.OffsetTable.Position;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what a commit the offset table refused means: another instance owns the partition now
 * (fenced), or an earlier commit of ours went through although it reported an error.
 */
final class RefusedCommits<K, V> {
  private static final Logger log = LoggerFactory.getLogger(RefusedCommits.class);

  /**
   * After a fenced commit, how long Kafka gets to revoke the partition (the sink asks for a
   * rebalance) before the sink, still assigned it, claims it again.
   */
  private static final Duration RECLAIM_AFTER_FENCE = Duration.ofSeconds(3);

  private final SinkContext<K, V> ctx;
  private final Ownership own;
  private final Assignments<K, V> assignments;

  RefusedCommits(SinkContext<K, V> ctx, Assignments<K, V> assignments) {
    this.ctx = ctx;
    this.own = ctx.own;
    this.assignments = assignments;
  }

  /**
   * After the offset table refused partitions: a fresh read tells whether another instance took
   * them (fenced: drop their records and pause them until Kafka reassigns them) or our own commit
   * went through although it reported an error (resume from the database's offset).
   */
  void resolve(Set<TopicPartition> refused) {
    Map<TopicPartition, Position> now = new HashMap<>();
    ctx.withRetries(
        "reading the offset table",
        () -> {
          try (Connection c = ctx.dataSource.getConnection()) {
            for (TopicPartition tp : refused) {
              now.put(tp, ctx.offsets.read(c, tp));
            }
          }
        });
    boolean fenced = false;
    for (TopicPartition tp : refused) {
      Position ours = own.owned.get(tp);
      Position db = now.get(tp);
      own.skip.add(tp);
      if (ours == null) {
        continue;
      }
      if (db == null || db.epoch() != ours.epoch()) {
        ctx.metrics.fencedCommits.increment();
        fenced = true;
        own.owned.remove(tp);
        own.unclaimed.add(tp);
        ctx.consumer.pause(List.of(tp));
        log.warn(
            "db sink {}: commit FENCED for {}: another instance claimed it (epoch {} > ours {});"
                + " rolled back, dropped its buffered records and paused it; asked Kafka for a"
                + " rebalance, and claims it again in {} if Kafka still assigns it here",
            ctx.instanceId(),
            tp,
            db == null ? "row gone" : db.epoch(),
            ours.epoch(),
            RECLAIM_AFTER_FENCE);
      } else {
        log.warn(
            "db sink {}: {} is at offset {} in the database, not {} as expected (a commit that"
                + " reported an error went through); resuming from the database",
            ctx.instanceId(),
            tp,
            db.nextOffset(),
            ours.nextOffset());
        own.owned.put(tp, db);
        ctx.seekTo(tp, db);
      }
    }
    if (fenced) {
      // The epoch says another instance owns these partitions, but Kafka still assigns them here.
      // Either that instance is the rightful owner and this one was dropped from the group without
      // noticing yet, or its claim landed late (it was frozen past its session inside its own
      // assignment) and it is no longer a member. Waiting for Kafka to move the partitions can
      // then wait forever: nothing in the group changes. A rebalance makes Kafka's owner claim
      // them again in a new generation; if Kafka still assigns them here afterwards (or cannot
      // rebalance on request), this instance claims them itself after RECLAIM_AFTER_FENCE.
      ctx.consumer.enforceRebalance("exactly db sink: commit fenced by a newer epoch");
      assignments.claimAgainAfter(RECLAIM_AFTER_FENCE);
    }
  }
}
