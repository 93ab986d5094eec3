package dev.exactly.cli;

import dev.exactly.ComponentState;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.Guarantee;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code exactly copy}: copies a topic through the exactly-once processor, keeping keys, values,
 * headers and partitions. Restarted with the same arguments after a crash, it carries on from the
 * group's committed offsets, and its stable transactional.id fences the crashed run's transaction.
 */
@Command(
    name = "copy",
    mixinStandardHelpOptions = true,
    header = "Copy a topic exactly once; restart it after any crash.",
    description = {
      "Copies a topic exactly once, keeping keys, values, headers and partitions.",
      "Restart it with the same arguments after a crash: it carries on without loss or"
          + " duplicates."
    })
public final class CopyCommand implements Callable<Integer> {
  private static final Duration PROGRESS_POLL = Duration.ofMillis(500);

  @Spec CommandSpec spec;

  @Option(names = "--bootstrap-server", required = true, description = "Kafka brokers, host:port")
  String bootstrapServer;

  @Option(names = "--from", required = true, description = "The topic to copy")
  String from;

  @Option(
      names = "--to",
      required = true,
      description = "The topic to write, with at least as" + " many partitions")
  String to;

  @Option(names = "--group", required = true, description = "Consumer group; keeps the position")
  String group;

  @Option(
      names = "--guarantee",
      defaultValue = "exactly-once",
      description = "exactly-once (default) or at-least-once (may duplicate after a crash)")
  String guarantee;

  @Option(
      names = "--until-end",
      description = "Stop after copying everything up to the end offsets seen at start")
  boolean untilEnd;

  @Option(
      names = "--instance-id",
      defaultValue = "copy",
      description = "Stable id of this copier; the transactional.id is <group>-<id>")
  String instanceId;

  @Option(
      names = "--command-config",
      description = "Kafka client properties file (SSL, SASL), passed through untouched")
  Path commandConfig;

  @picocli.CommandLine.Mixin MetricsOption metrics;

  @Override
  public Integer call() throws Exception {
    try (MetricsOption.Served served = metrics.start(spec.commandLine().getOut())) {
      return copy(served);
    }
  }

  private Integer copy(MetricsOption.Served served) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Guarantee g =
        switch (guarantee.toLowerCase(Locale.ROOT)) {
          case "exactly-once" -> Guarantee.EXACTLY_ONCE;
          case "at-least-once" -> Guarantee.AT_LEAST_ONCE_NOT_EXACTLY_ONCE;
          default -> null;
        };
    if (g == null) {
      err.println("--guarantee " + guarantee + " is not known; use exactly-once or at-least-once");
      return 2;
    }
    Map<String, Object> props = clientProperties();
    Map<TopicPartition, Long> target;
    Map<TopicPartition, Long> before;
    try (KafkaConsumer<byte[], byte[]> probe = consumer(props);
        Admin admin = Admin.create(props)) {
      List<TopicPartition> source = partitions(probe, from);
      int targetPartitions = partitions(probe, to).size();
      if (targetPartitions < source.size()) {
        err.println(
            "--to "
                + to
                + " has "
                + targetPartitions
                + " partitions but --from "
                + from
                + " has "
                + source.size()
                + "; partitions are kept, so create "
                + to
                + " with at least "
                + source.size());
        return 2;
      }
      target = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
      target.putAll(probe.endOffsets(source));
      before = positions(admin, probe, source);
    }

    ExactlyOnceProcessor processor =
        ExactlyOnceProcessor.builder(props)
            // A copy should start on a cluster that has only the two topics: its dead-letter
            // topic <from>.dlt is created like the input, durable on 3+ brokers.
            .createTopics(true)
            .groupId(group)
            .instanceId(instanceId)
            .meterRegistry(served.registry())
            .guarantee(g)
            .input(from, new ByteArrayDeserializer(), new ByteArrayDeserializer())
            .process(
                (record, o) ->
                    o.send(to, record.partition(), record.key(), record.value(), record.headers()))
            .build();
    Thread hook = new Thread(() -> processor.close(Duration.ofSeconds(30)), "exactly-copy-close");
    Runtime.getRuntime().addShutdownHook(hook);
    out.printf("copying %s -> %s as group %s (%s)%n", from, to, group, guarantee);
    out.flush();
    processor.start();
    try (KafkaConsumer<byte[], byte[]> probe = consumer(props);
        Admin admin = Admin.create(props)) {
      while (!processor.state().isTerminal()) {
        if (untilEnd && reached(admin, probe, target)) {
          break;
        }
        processor.awaitTermination(PROGRESS_POLL);
      }
      processor.close(Duration.ofSeconds(30));
      Runtime.getRuntime().removeShutdownHook(hook);
      if (processor.state() != ComponentState.CLOSED) {
        err.println(
            "copy stopped: "
                + processor.state()
                + " "
                + processor.failure().map(Throwable::toString).orElse(""));
        return 1;
      }
      Map<TopicPartition, Long> after = positions(admin, probe, new ArrayList<>(target.keySet()));
      long copied = 0;
      for (TopicPartition tp : target.keySet()) {
        long n = after.get(tp) - before.get(tp);
        copied += n;
        out.printf("  %-30s %10d -> %10d  %8d%n", tp, before.get(tp), after.get(tp), n);
      }
      out.printf("copied %d records from %s to %s%n", copied, from, to);
      return 0;
    }
  }

  private Map<String, Object> clientProperties() throws IOException {
    Map<String, Object> props = new HashMap<>();
    if (commandConfig != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(commandConfig)) {
        p.load(r);
      }
      p.forEach((k, v) -> props.put(String.valueOf(k), v));
    }
    props.put("bootstrap.servers", bootstrapServer);
    // Static membership: a copier restarted after a crash takes its partitions back at once
    // instead of waiting a session timeout for the dead member to leave the group.
    props.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, group + "-" + instanceId);
    return props;
  }

  private KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> props) {
    Map<String, Object> c = new HashMap<>(props);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    return new KafkaConsumer<>(c);
  }

  private static List<TopicPartition> partitions(KafkaConsumer<?, ?> c, String topic) {
    List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalArgumentException("topic " + topic + " does not exist");
    }
    List<TopicPartition> out = new ArrayList<>();
    infos.forEach(i -> out.add(new TopicPartition(topic, i.partition())));
    return out;
  }

  /** The group's committed offset per partition, or the beginning where it has none. */
  private Map<TopicPartition, Long> positions(
      Admin admin, KafkaConsumer<byte[], byte[]> c, List<TopicPartition> partitions)
      throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(30, TimeUnit.SECONDS);
    Map<TopicPartition, Long> beginning = c.beginningOffsets(partitions);
    Map<TopicPartition, Long> out = new HashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata o = committed.get(tp);
      out.put(tp, o == null ? beginning.get(tp) : o.offset());
    }
    return out;
  }

  /**
   * Whether the group has committed every record below the target offsets. A committed offset may
   * stop just short of a target that counts a transaction marker, so the gap is read to see whether
   * any record is left in it.
   */
  private boolean reached(
      Admin admin, KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> target)
      throws Exception {
    Map<TopicPartition, Long> now = positions(admin, c, new ArrayList<>(target.keySet()));
    for (Map.Entry<TopicPartition, Long> e : target.entrySet()) {
      long position = now.get(e.getKey());
      if (position < e.getValue() && recordsBetween(c, e.getKey(), position, e.getValue())) {
        return false;
      }
    }
    return true;
  }

  private static boolean recordsBetween(
      KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long from, long to) {
    c.assign(List.of(tp));
    c.seek(tp, from);
    Instant deadline = Instant.now().plusSeconds(10);
    while (c.position(tp) < to && Instant.now().isBefore(deadline)) {
      var records = c.poll(Duration.ofMillis(200)).records(tp);
      if (records.stream().anyMatch(r -> r.offset() < to)) {
        return true;
      }
    }
    return c.position(tp) < to;
  }
}
