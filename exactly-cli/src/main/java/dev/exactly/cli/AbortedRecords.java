package dev.exactly.cli;

import dev.exactly.testkit.check.RecordEffects;
import dev.exactly.testkit.check.RecordId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Records of aborted transactions: a {@code read_uncommitted} reader returns them, a {@code
 * read_committed} one skips them. Records at or past the last stable offset are not counted: their
 * transaction is still open (see {@link StableOffsets}).
 */
final class AbortedRecords {
  private static final int EXAMPLES = 5;

  /**
   * @param count aborted records
   * @param examples a few, as {@code topic-p@offset id}
   */
  record Found(int count, List<String> examples) {}

  private AbortedRecords() {}

  /**
   * @param uncommitted the topic read {@code read_uncommitted}
   * @param committed the topic read {@code read_committed} afterwards
   * @param lastStable each partition's last stable offset, taken before both reads
   */
  static Found find(
      List<ConsumerRecord<byte[], byte[]>> uncommitted,
      List<ConsumerRecord<byte[], byte[]>> committed,
      Map<TopicPartition, Long> lastStable,
      RecordId id) {
    Set<String> seen = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : committed) {
      seen.add(where(r));
    }
    int count = 0;
    List<String> examples = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : uncommitted) {
      long stable = lastStable.getOrDefault(new TopicPartition(r.topic(), r.partition()), 0L);
      if (r.offset() < stable && !seen.contains(where(r))) {
        count++;
        if (examples.size() < EXAMPLES) {
          examples.add(where(r) + " " + id.of(r).orElse(RecordEffects.NO_ID));
        }
      }
    }
    return new Found(count, examples);
  }

  private static String where(ConsumerRecord<byte[], byte[]> r) {
    return r.topic() + "-" + r.partition() + "@" + r.offset();
  }
}
