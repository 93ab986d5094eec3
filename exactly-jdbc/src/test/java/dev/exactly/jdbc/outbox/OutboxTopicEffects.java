package dev.exactly.jdbc.outbox;

import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.Effect;
import dev.exactly.testkit.check.EffectSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The records of a topic, read {@code read_committed}, as effects: each record acts for the outbox
 * row named by its {@value Outbox#ID_HEADER} header. Order is the partitions' offset order, which
 * keeps each key's order.
 */
final class OutboxTopicEffects implements EffectSource {
  private final String bootstrap;
  private final String topic;

  OutboxTopicEffects(String bootstrap, String topic) {
    this.bootstrap = bootstrap;
    this.topic = topic;
  }

  @Override
  public String name() {
    return "topic " + topic + " (read_committed, header " + Outbox.ID_HEADER + ")";
  }

  @Override
  public List<Effect> read() {
    List<Effect> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(bootstrap, topic)) {
      Header id = r.headers().lastHeader(Outbox.ID_HEADER);
      out.add(
          new Effect(
              id == null ? "no-id" : new String(id.value(), StandardCharsets.UTF_8),
              "",
              r.topic() + "-" + r.partition() + "@" + r.offset()));
    }
    return out;
  }

  @Override
  public boolean keepsOrder() {
    return true;
  }
}
