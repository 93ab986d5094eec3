package dev.exactly.testkit.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Effects that are Kafka records already read (see {@link dev.exactly.testkit.TopicReader}), each
 * acting for the input whose id {@link RecordId} finds in it. A record without an id acts for no
 * input: it is reported as unexpected, under the id {@value #NO_ID}.
 *
 * <p>Keeps order when asked to: the records must then be in partition and offset order, as {@code
 * TopicReader} returns them.
 */
public final class RecordEffects implements EffectSource {
  /** The id an effect is given when its record has none where {@link RecordId} looks. */
  public static final String NO_ID = "(no id)";

  private final String name;
  private final List<ConsumerRecord<byte[], byte[]>> records;
  private final RecordId id;
  private final boolean keepsOrder;

  public RecordEffects(
      String name, List<ConsumerRecord<byte[], byte[]>> records, RecordId id, boolean keepsOrder) {
    this.name = Objects.requireNonNull(name, "name");
    this.records = List.copyOf(records);
    this.id = Objects.requireNonNull(id, "id");
    this.keepsOrder = keepsOrder;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Effect> read() {
    List<Effect> effects = new ArrayList<>(records.size());
    for (ConsumerRecord<byte[], byte[]> r : records) {
      effects.add(
          new Effect(
              id.of(r).orElse(NO_ID), "", r.topic() + "-" + r.partition() + "@" + r.offset()));
    }
    return effects;
  }

  @Override
  public boolean keepsOrder() {
    return keepsOrder;
  }
}
