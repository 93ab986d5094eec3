package dev.exactly.cli;

import dev.exactly.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Finds the partitions of a topic whose last stable offset (the end a {@code read_committed} reader
 * sees) stays behind the end offset as it was at the start: a transaction open there holds every
 * {@code read_committed} reader back, and could still commit effects after the check has counted.
 *
 * <p>Only the end as of the start counts, so writers that go on writing do not keep the check
 * waiting; a transaction that commits or aborts within the settle time is not reported.
 */
final class StableOffsets {
  /**
   * @param lastStable each partition's last stable offset when the wait ended
   * @param stuck the partitions still behind, each with the transaction holding it where known
   */
  record Settled(Map<TopicPartition, Long> lastStable, List<VerifyOutcome.Stuck> stuck) {}

  private final Admin admin;
  private final Consumer<byte[], byte[]> committed;
  private final Consumer<byte[], byte[]> uncommitted;
  private final Duration timeout;

  /**
   * @param committed a {@code read_committed} consumer, for last stable offsets
   * @param uncommitted a {@code read_uncommitted} consumer, for end offsets
   */
  StableOffsets(
      Admin admin,
      Consumer<byte[], byte[]> committed,
      Consumer<byte[], byte[]> uncommitted,
      Duration timeout) {
    this.admin = admin;
    this.committed = committed;
    this.uncommitted = uncommitted;
    this.timeout = timeout;
  }

  /**
   * Waits up to {@code settle}, once for all topics, for every partition's last stable offset to
   * reach its end as of the start.
   *
   * @return per topic, in the order given
   */
  Map<String, Settled> settle(Map<String, List<TopicPartition>> topics, Duration settle)
      throws Exception {
    List<TopicPartition> partitions = topics.values().stream().flatMap(List::stream).toList();
    Map<TopicPartition, Long> end = uncommitted.endOffsets(partitions, timeout);
    long deadline = System.nanoTime() + settle.toNanos();
    while (true) {
      Map<TopicPartition, Long> stable = committed.endOffsets(partitions, timeout);
      List<TopicPartition> behind =
          partitions.stream().filter(tp -> stable.get(tp) < end.get(tp)).toList();
      if (behind.isEmpty() || System.nanoTime() >= deadline) {
        Map<String, Settled> out = new LinkedHashMap<>();
        for (String topic : topics.keySet()) {
          List<TopicPartition> stuck =
              behind.stream().filter(tp -> tp.topic().equals(topic)).toList();
          out.put(topic, new Settled(stable, stuck(topic, stuck, stable, end)));
        }
        return out;
      }
      Thread.sleep(200);
    }
  }

  private List<VerifyOutcome.Stuck> stuck(
      String topic,
      List<TopicPartition> behind,
      Map<TopicPartition, Long> stable,
      Map<TopicPartition, Long> end)
      throws Exception {
    if (behind.isEmpty()) {
      return List.of();
    }
    Map<TopicPartition, String> heldBy = new HashMap<>();
    for (OpenTransactions.Hanging h :
        new OpenTransactions(admin, Ticker.system()).findHanging(Duration.ZERO, topic)) {
      heldBy.merge(h.partition(), describe(h), (a, b) -> a + ", " + b);
    }
    List<VerifyOutcome.Stuck> out = new ArrayList<>();
    for (TopicPartition tp : behind) {
      out.add(
          new VerifyOutcome.Stuck(
              tp.toString(), stable.get(tp), end.get(tp), heldBy.getOrDefault(tp, "")));
    }
    return out;
  }

  /** The owner is left to {@code exactly transactions find-hanging}, which also aborts. */
  private static String describe(OpenTransactions.Hanging h) {
    String id =
        h.transactionalId() == null
            ? "producer " + h.producerId()
            : "'" + h.transactionalId() + "'";
    return "transaction "
        + id
        + " ("
        + h.coordinatorState()
        + " at its coordinator) open from offset "
        + h.startOffset()
        + ", last write "
        + TransactionsCommand.human(h.sinceLastWrite())
        + " ago";
  }
}
