package dev.exactly.jdbc.sink;

import dev.exactly.RetryPolicy;
import dev.exactly.jdbc.internal.Transactions;
import dev.exactly.jdbc.sink.OffsetTable.Position;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Kafka's assignment into ownership in the database: claims each assigned partition (bumping
 * its epoch, which fences every earlier owner), seeks it to the database's offset, and forgets
 * partitions Kafka takes away. Kafka calls the listener inside {@code poll}, on the engine thread.
 */
final class Assignments<K, V> implements ConsumerRebalanceListener {
  private static final Logger log = LoggerFactory.getLogger(Assignments.class);

  /**
   * Waits before claiming a partition again after failed claims: 1 s doubling up to 30 s. Claims
   * are retried for as long as Kafka assigns the partition here (the attempt count is not used).
   */
  private static final RetryPolicy CLAIM_BACKOFF =
      new RetryPolicy(1, Duration.ofSeconds(1), Duration.ofSeconds(30), 2.0);

  private static final Comparator<TopicPartition> ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  private final SinkContext<K, V> ctx;
  private final Ownership own;

  /** When, on the ticker, the partitions in {@link Ownership#unclaimed} are claimed again. */
  private long nextClaim;

  /** Claim rounds that failed in a row; the next wait grows with it. */
  private int claimFailures;

  Assignments(SinkContext<K, V> ctx) {
    this.ctx = ctx;
    this.own = ctx.own;
    this.nextClaim = ctx.ticker.nanoTime();
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return;
    }
    // Paused until claimed: records of a partition not yet ours must not be fetched for nothing.
    own.unclaimed.addAll(partitions);
    ctx.consumer.pause(partitions);
    claimFailures = 0;
    claimPending();
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    own.forget(partitions);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    log.warn(
        "db sink {}: lost {} without a clean revoke (session expired?); any late commit for them"
            + " will be fenced",
        ctx.instanceId(),
        partitions);
    own.forget(partitions);
  }

  /** Whether partitions wait to be claimed and their time has come. */
  boolean claimDue() {
    return !own.unclaimed.isEmpty() && ctx.ticker.nanoTime() - nextClaim >= 0;
  }

  /** Claims the unclaimed partitions again no sooner than {@code wait} from now. */
  void claimAgainAfter(Duration wait) {
    nextClaim = ctx.ticker.nanoTime() + wait.toNanos();
  }

  /**
   * Claims, one transaction each, the partitions Kafka assigned here that the database does not
   * show as ours yet. A partition whose claim fails transiently (its row locked past the lock wait,
   * the database unreachable) stays paused and is tried again later while the engine keeps polling:
   * the consumer stays a live member of the group, its other partitions keep moving, and no other
   * member waits on it in a rebalance.
   *
   * @throws IllegalStateException when a claim fails for a reason retrying cannot fix
   */
  void claimPending() {
    own.unclaimed.retainAll(ctx.consumer.assignment());
    List<TopicPartition> todo = new ArrayList<>(own.unclaimed);
    todo.sort(ORDER);
    Map<TopicPartition, Position> claimed = new LinkedHashMap<>();
    boolean failed = false;
    Duration wait = CLAIM_BACKOFF.backoffAfter(claimFailures + 1);
    for (TopicPartition tp : todo) {
      if (!ctx.running()) {
        break;
      }
      try {
        claimed.putAll(claim(tp));
      } catch (SQLException e) {
        if (!ctx.isRetriable(e)) {
          throw new IllegalStateException(
              "claiming "
                  + tp
                  + " in "
                  + ctx.offsets.table()
                  + " failed: "
                  + e.getMessage()
                  + "; fix the database or the offset table, then start a new sink",
              e);
        }
        ctx.metrics.retries.increment();
        failed = true;
        log.warn(
            "db sink {}: cannot claim {} yet, it stays paused and the claim is tried again in {}"
                + " (the sink keeps polling): {}",
            ctx.instanceId(),
            tp,
            wait,
            e.toString());
      }
    }
    if (failed) {
      claimAgainAfter(wait);
      claimFailures++;
    } else {
      claimFailures = 0;
    }
    if (claimed.isEmpty()) {
      return;
    }
    claimed.forEach(
        (tp, p) -> {
          own.owned.put(tp, p);
          own.unclaimed.remove(tp);
          own.skip.remove(tp);
          own.unpublished.add(tp);
          ctx.seekTo(tp, p);
        });
    ctx.consumer.resume(claimed.keySet());
    log.info(
        "db sink {}: claimed {} (epoch, next offset from the database: {})",
        ctx.instanceId(),
        claimed.keySet(),
        claimed);
  }

  /** Bumps one partition's epoch in its own transaction: this instance now owns it. */
  private Map<TopicPartition, Position> claim(TopicPartition tp) throws SQLException {
    try (Connection c = ctx.dataSource.getConnection()) {
      return Transactions.<Map<TopicPartition, Position>, RuntimeException>run(
          c, connection -> ctx.offsets.claim(connection, List.of(tp)));
    }
  }
}
