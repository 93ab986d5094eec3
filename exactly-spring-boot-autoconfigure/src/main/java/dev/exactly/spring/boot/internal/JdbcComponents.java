package dev.exactly.spring.boot.internal;

import dev.exactly.dedup.DedupStore;
import dev.exactly.jdbc.JdbcDedupStore;
import dev.exactly.jdbc.outbox.OutboxRelay;
import dev.exactly.jdbc.sink.BatchHandler;
import dev.exactly.jdbc.sink.DbSink;
import dev.exactly.jdbc.sink.DbSinkBuilder;
import dev.exactly.spring.boot.ExactlyComponents;
import dev.exactly.spring.boot.ExactlyComponents.Entry;
import dev.exactly.spring.boot.ExactlyComponents.Kind;
import dev.exactly.spring.boot.ExactlyJdbcCustomizer;
import dev.exactly.spring.boot.ExactlyProperties;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.springframework.beans.factory.BeanFactory;

/** Builds DB sinks, the outbox relay and JDBC dedup stores on the application's DataSource. */
public final class JdbcComponents {
  private final BeanFactory beans;
  private final Map<String, Object> kafka;
  private final Supplier<String> instanceIds;
  private final MeterRegistry meters;
  private final DataSource dataSource;
  private final List<ExactlyJdbcCustomizer.Sink> sinkCustomizers;
  private final List<ExactlyJdbcCustomizer.Relay> relayCustomizers;

  public JdbcComponents(
      BeanFactory beans,
      Map<String, Object> kafka,
      Supplier<String> instanceIds,
      MeterRegistry meters,
      DataSource dataSource,
      List<ExactlyJdbcCustomizer.Sink> sinkCustomizers,
      List<ExactlyJdbcCustomizer.Relay> relayCustomizers) {
    this.beans = beans;
    this.kafka = kafka;
    this.instanceIds = instanceIds;
    this.meters = meters;
    this.dataSource = dataSource;
    this.sinkCustomizers = sinkCustomizers;
    this.relayCustomizers = relayCustomizers;
  }

  /** A DB sink of {@code exactly.sinks.<name>} around the user's BatchHandler bean of that name. */
  @SuppressWarnings("unchecked")
  public void sink(ExactlyComponents registry, String name, ExactlyProperties.Sink s) {
    String prefix = "exactly.sinks." + name;
    if (s.getTopics().isEmpty()) {
      throw new dev.exactly.spring.boot.ExactlyStartupException(
          prefix + ".topics", "[]", "required: set the topics to consume", null);
    }
    BatchHandler<Object, Object> handler = Builds.bean(beans, prefix, name, BatchHandler.class);
    Map<String, Object> props = KafkaSettings.forComponent(kafka, s.getKafka());
    String group = Builds.group(s, name);
    String instanceId = instanceIds.get();
    DbSink<Object, Object> sink =
        Builds.named(
            prefix,
            () -> {
              DbSinkBuilder<Object, Object> b =
                  DbSink.<Object, Object>builder()
                      .kafkaProperties(props)
                      .groupId(group)
                      .instanceId(instanceId)
                      .topics(s.getTopics().toArray(String[]::new))
                      .deserializers(
                          Builds.deserializer(s.getKeyDeserializer(), props, true),
                          Builds.deserializer(s.getValueDeserializer(), props, false))
                      .dataSource(dataSource)
                      .offsetTable(s.getOffsetTable())
                      .createOffsetTable(s.isCreateOffsetTable())
                      .handler(handler)
                      .maxBatchRecords(s.getMaxBatchRecords())
                      .startTimeout(s.getStartTimeout())
                      .createTopics(s.isCreateTopics());
              if (s.getDeadLetterTopic() != null) {
                b.deadLetterTopic(s.getDeadLetterTopic());
              }
              if (meters != null) {
                b.meterRegistry(meters);
              }
              sinkCustomizers.forEach(c -> c.customize(name, b));
              return b.build();
            });
    registry.register(new Entry(name, Kind.DB_SINK, group, instanceId, sink), sink::start);
  }

  /** The relay of {@code exactly.outbox.relay.*}, publishing the outbox table. */
  public void relay(ExactlyComponents registry, ExactlyProperties.Outbox o) {
    ExactlyProperties.Relay r = o.getRelay();
    String prefix = "exactly.outbox.relay";
    Map<String, Object> props = KafkaSettings.forComponent(kafka, r.getKafka());
    String instanceId = instanceIds.get();
    OutboxRelay relay =
        Builds.named(
            prefix,
            () -> {
              OutboxRelay.Builder b =
                  OutboxRelay.builder()
                      .dataSource(dataSource)
                      .kafkaProperties(props)
                      .table(o.getTable())
                      .name(r.getName())
                      .instanceId(instanceId)
                      .batchSize(r.getBatchSize())
                      .createTable(o.isCreateTable())
                      .startTimeout(r.getStartTimeout())
                      .createTopics(r.isCreateTopics());
              if (r.getPositionTopic() != null) {
                b.positionTopic(r.getPositionTopic());
              }
              if (r.getDeadLetterTopic() != null) {
                b.deadLetterTopic(r.getDeadLetterTopic());
              }
              if (meters != null) {
                b.meterRegistry(meters);
              }
              relayCustomizers.forEach(c -> c.customize(b));
              return b.build();
            });
    registry.register(
        new Entry(r.getName(), Kind.OUTBOX_RELAY, r.getName(), instanceId, relay), relay::start);
  }

  /** A JdbcDedupStore for one consumer. */
  public DedupStore dedupStore(String prefix, ExactlyProperties.Consumer c) {
    return Builds.named(
        prefix,
        () ->
            JdbcDedupStore.builder(dataSource)
                .table(c.getStoreTable())
                .createTable(c.isCreateStoreTable())
                .build());
  }
}
