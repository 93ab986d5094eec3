package dev.exactly.testkit.check;

import dev.exactly.testkit.TopicReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The outputs on a Kafka topic as a {@code read_committed} consumer sees them, each decoded with
 * {@link RecordCodec#decodeOutput}. Keeps order: effects come partition by partition in offset
 * order, and one key's outputs live in one partition.
 */
public final class TopicEffects implements EffectSource {
  private final String bootstrapServers;
  private final String topic;

  public TopicEffects(String bootstrapServers, String topic) {
    this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    this.topic = Objects.requireNonNull(topic, "topic");
  }

  @Override
  public String name() {
    return "topic " + topic + " (read_committed)";
  }

  @Override
  public List<Effect> read() {
    List<Effect> effects = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(bootstrapServers, topic)) {
      RecordCodec.Output out = RecordCodec.decodeOutput(r.value());
      effects.add(
          new Effect(
              out.input().id(),
              out.attemptId(),
              r.topic() + "-" + r.partition() + "@" + r.offset()));
    }
    return effects;
  }

  @Override
  public boolean keepsOrder() {
    return true;
  }
}
