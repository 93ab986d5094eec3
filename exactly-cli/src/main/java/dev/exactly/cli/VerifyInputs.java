package dev.exactly.cli;

import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.RecordId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns the input topic's records into the checker's inputs: the id where {@code --id} looks, and,
 * when order is checked, the ordering key where {@code --order-by} looks with the record's place
 * among that key's records (partition, then offset order) as its sequence.
 */
final class VerifyInputs {
  private static final int EXAMPLES = 5;

  /**
   * @param inputs one per record that has an id, in the order read
   * @param withoutId records that have no id
   * @param withoutIdExamples a few of those, as {@code topic-p@offset}
   */
  record Read(List<Input> inputs, int records, int withoutId, List<String> withoutIdExamples) {}

  private VerifyInputs() {}

  /**
   * @param orderBy the ordering key, or empty when order is not checked: each input is then its own
   *     key
   */
  static Read of(
      List<ConsumerRecord<byte[], byte[]>> records, RecordId id, Optional<RecordId> orderBy) {
    List<Input> inputs = new ArrayList<>(records.size());
    Map<String, Long> nextSequence = new HashMap<>();
    int withoutId = 0;
    List<String> examples = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      String where = r.topic() + "-" + r.partition() + "@" + r.offset();
      Optional<String> value = id.of(r);
      if (value.isEmpty()) {
        withoutId++;
        if (examples.size() < EXAMPLES) {
          examples.add(where);
        }
        continue;
      }
      // A record without an ordering key promises no order: it gets a key of its own.
      String key = orderBy.flatMap(o -> o.of(r)).map(k -> "=" + k).orElse("#" + where);
      long sequence = nextSequence.merge(key, 1L, Long::sum) - 1;
      inputs.add(new Input(value.get(), key.startsWith("=") ? key.substring(1) : key, sequence));
    }
    return new Read(inputs, records.size(), withoutId, examples);
  }
}
