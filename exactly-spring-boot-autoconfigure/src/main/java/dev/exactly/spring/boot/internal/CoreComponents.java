package dev.exactly.spring.boot.internal;

import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.RecordProcessor;
import dev.exactly.spring.boot.ExactlyComponents;
import dev.exactly.spring.boot.ExactlyComponents.Entry;
import dev.exactly.spring.boot.ExactlyComponents.Kind;
import dev.exactly.spring.boot.ExactlyCustomizer;
import dev.exactly.spring.boot.ExactlyProperties;
import dev.exactly.spring.boot.ExactlyStartupException;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.beans.factory.BeanFactory;

/** Builds processors and idempotent consumers from their properties and the user's beans. */
public final class CoreComponents {
  private final BeanFactory beans;
  private final Map<String, Object> kafka;
  private final Supplier<String> instanceIds;
  private final MeterRegistry meters;
  private final List<ExactlyCustomizer.Processor> processorCustomizers;
  private final List<ExactlyCustomizer.Consumer> consumerCustomizers;

  public CoreComponents(
      BeanFactory beans,
      Map<String, Object> kafka,
      Supplier<String> instanceIds,
      MeterRegistry meters,
      List<ExactlyCustomizer.Processor> processorCustomizers,
      List<ExactlyCustomizer.Consumer> consumerCustomizers) {
    this.beans = beans;
    this.kafka = kafka;
    this.instanceIds = instanceIds;
    this.meters = meters;
    this.processorCustomizers = processorCustomizers;
    this.consumerCustomizers = consumerCustomizers;
  }

  /** A processor of {@code exactly.processors.<name>} around the user's bean of that name. */
  public void processor(ExactlyComponents registry, String name, ExactlyProperties.Processor p) {
    String prefix = "exactly.processors." + name;
    String topic =
        Builds.required(prefix + ".input-topic", p.getInputTopic(), "the topic to consume");
    @SuppressWarnings("unchecked")
    RecordProcessor<Object, Object, Object, Object> function =
        Builds.bean(beans, prefix, name, RecordProcessor.class);
    register(registry, name, p, topic, function, prefix);
  }

  /**
   * A processor around a function that is not a bean of its own ({@code @ExactlyOnceListener}),
   * with the same settings as {@code exactly.processors.<name>}.
   */
  public void register(
      ExactlyComponents registry,
      String name,
      ExactlyProperties.Processor p,
      String topic,
      RecordProcessor<Object, Object, Object, Object> function,
      String prefix) {
    Map<String, Object> props = KafkaSettings.forComponent(kafka, p.getKafka());
    String group = Builds.group(p, name);
    String instanceId = instanceIds.get();
    ExactlyOnceProcessor processor =
        Builds.named(
            prefix,
            () -> {
              ExactlyOnceProcessor.Builder<Object, Object, Object, Object> b =
                  ExactlyOnceProcessor.builder(props)
                      .groupId(group)
                      .instanceId(instanceId)
                      .input(
                          topic,
                          Builds.deserializer(p.getKeyDeserializer(), props, true),
                          Builds.deserializer(p.getValueDeserializer(), props, false))
                      .output(
                          Builds.serializer(p.getKeySerializer(), props, true),
                          Builds.serializer(p.getValueSerializer(), props, false))
                      .process(function)
                      .commitInterval(p.getCommitInterval())
                      .maxBatchRecords(p.getMaxBatchRecords())
                      .startTimeout(p.getStartTimeout())
                      .createTopics(p.isCreateTopics());
              if (p.getDeadLetterTopic() != null) {
                b.deadLetterTopic(p.getDeadLetterTopic());
              }
              if (p.getTransactionalIdPrefix() != null) {
                b.transactionalIdPrefix(p.getTransactionalIdPrefix());
              }
              if (meters != null) {
                b.meterRegistry(meters);
              }
              processorCustomizers.forEach(c -> c.customize(name, b));
              return b.build();
            });
    registry.register(
        new Entry(name, Kind.PROCESSOR, group, instanceId, processor), processor::start);
  }

  /** An idempotent consumer of {@code exactly.consumers.<name>} around the user's handler bean. */
  @SuppressWarnings("unchecked")
  public void consumer(
      ExactlyComponents registry,
      String name,
      ExactlyProperties.Consumer c,
      Function<ExactlyProperties.Consumer, DedupStore> stores) {
    String prefix = "exactly.consumers." + name;
    String topic =
        Builds.required(prefix + ".input-topic", c.getInputTopic(), "the topic to consume");
    Object handler = Builds.bean(beans, prefix, name, Object.class);
    DedupKey dedupKey = dedupKey(prefix + ".dedup-key", c.getDedupKey());
    DedupStore store = stores.apply(c);
    Map<String, Object> props = KafkaSettings.forComponent(kafka, c.getKafka());
    String group = Builds.group(c, name);
    String instanceId = instanceIds.get();
    IdempotentConsumer consumer =
        Builds.named(
            prefix,
            () -> {
              IdempotentConsumer.Builder<Object, Object> b =
                  IdempotentConsumer.builder(props)
                      .groupId(group)
                      .instanceId(instanceId)
                      .input(
                          topic,
                          Builds.deserializer(c.getKeyDeserializer(), props, true),
                          Builds.deserializer(c.getValueDeserializer(), props, false))
                      .dedupKey(dedupKey)
                      .store(store)
                      .lease(c.getLease())
                      .retention(c.getRetention())
                      .startTimeout(c.getStartTimeout())
                      .createTopics(c.isCreateTopics());
              if (handler instanceof IdempotentConsumer.Handler<?, ?> h) {
                b.handler((IdempotentConsumer.Handler<Object, Object>) h);
              } else if (handler instanceof IdempotentConsumer.ResultHandler<?, ?> h) {
                b.resultHandler((IdempotentConsumer.ResultHandler<Object, Object>) h);
              } else if (handler instanceof IdempotentConsumer.TransactionalHandler<?, ?> h) {
                b.transactionalHandler((IdempotentConsumer.TransactionalHandler<Object, Object>) h);
              } else {
                throw new ExactlyStartupException(
                    prefix,
                    "(bean '" + name + "' of type " + handler.getClass().getName() + ")",
                    "the bean named '"
                        + name
                        + "' must be an IdempotentConsumer.Handler, ResultHandler or"
                        + " TransactionalHandler",
                    null);
              }
              if (c.getDeadLetterTopic() != null) {
                b.deadLetterTopic(c.getDeadLetterTopic());
              }
              if (meters != null) {
                b.meterRegistry(meters);
              }
              consumerCustomizers.forEach(cc -> cc.customize(name, b));
              return b.build();
            });
    registry.register(
        new Entry(name, Kind.IDEMPOTENT_CONSUMER, group, instanceId, consumer), consumer::start);
  }

  /** offset, record-key, header:NAME or json:/pointer. */
  static DedupKey dedupKey(String property, String spec) {
    if (spec == null || spec.equals("offset")) {
      return DedupKey.topicPartitionOffset();
    }
    if (spec.equals("record-key")) {
      return DedupKey.recordKey();
    }
    if (spec.startsWith("header:") && spec.length() > "header:".length()) {
      return DedupKey.header(spec.substring("header:".length()));
    }
    if (spec.startsWith("json:") && spec.length() > "json:".length()) {
      return DedupKey.jsonPointer(spec.substring("json:".length()));
    }
    throw new ExactlyStartupException(
        property, spec, "use offset, record-key, header:<name> or json:/<pointer>", null);
  }
}
