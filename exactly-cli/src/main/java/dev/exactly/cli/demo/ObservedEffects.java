package dev.exactly.cli.demo;

import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.Effect;
import dev.exactly.testkit.check.EffectSource;
import dev.exactly.testkit.check.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Every effect one sink holds, read once at the end of the run, with the time each took effect (the
 * record's timestamp, or the row's {@code at_ms}; -1 where the sink keeps none) for the report's
 * throughput and latency charts.
 */
final class ObservedEffects implements EffectSource {
  private final String name;
  private final List<Effect> effects;
  private final List<Long> timesMs;
  private final boolean keepsOrder;

  private ObservedEffects(String name, List<Effect> effects, List<Long> timesMs, boolean order) {
    this.name = name;
    this.effects = List.copyOf(effects);
    this.timesMs = List.copyOf(timesMs);
    this.keepsOrder = order;
  }

  /** A topic of order JSON (orders, its dead letters): one effect per committed record. */
  static ObservedEffects ofOrderTopic(String bootstrap, String topic, boolean keepsOrder) {
    return ofTopic(
        bootstrap,
        topic,
        keepsOrder,
        r -> new String[] {Orders.parse(new String(r.value(), StandardCharsets.UTF_8)).id(), ""});
  }

  /** A topic of {@link RecordCodec} outputs, each naming the attempt that wrote it. */
  static ObservedEffects ofCodecTopic(String bootstrap, String topic) {
    return ofTopic(
        bootstrap,
        topic,
        true,
        r -> {
          RecordCodec.Output out = RecordCodec.decodeOutput(r.value());
          return new String[] {out.input().id(), out.attemptId()};
        });
  }

  private static ObservedEffects ofTopic(
      String bootstrap,
      String topic,
      boolean keepsOrder,
      Function<ConsumerRecord<byte[], byte[]>, String[]> decode) {
    List<Effect> effects = new ArrayList<>();
    List<Long> times = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(bootstrap, topic)) {
      String[] idAndAttempt = decode.apply(r);
      effects.add(
          new Effect(
              idAndAttempt[0],
              idAndAttempt[1],
              r.topic() + "-" + r.partition() + "@" + r.offset()));
      times.add(r.timestamp());
    }
    return new ObservedEffects("topic " + topic, effects, times, keepsOrder);
  }

  /** A table with columns order_id, attempt and at_ms: one effect per row. */
  static ObservedEffects ofTable(DemoDatabase db, String table) throws SQLException {
    List<Effect> effects = new ArrayList<>();
    List<Long> times = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT order_id, attempt, at_ms, id FROM " + table)) {
      while (rs.next()) {
        effects.add(new Effect(rs.getString(1), rs.getString(2), table + " id " + rs.getLong(4)));
        times.add(rs.getLong(3));
      }
    }
    return new ObservedEffects("table " + table, effects, times, false);
  }

  /** Effects counted elsewhere (the gateway's charges), which keep no time. */
  static ObservedEffects ofCounted(String name, List<Effect> effects) {
    return new ObservedEffects(name, effects, effects.stream().map(e -> -1L).toList(), false);
  }

  List<Long> timesMs() {
    return timesMs;
  }

  List<Effect> effects() {
    return effects;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Effect> read() {
    return effects;
  }

  @Override
  public boolean keepsOrder() {
    return keepsOrder;
  }
}
