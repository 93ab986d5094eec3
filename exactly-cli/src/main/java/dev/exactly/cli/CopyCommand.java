package dev.exactly.cli;

import dev.exactly.internal.Metric;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.Guarantee;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
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
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  @Spec CommandSpec spec;

  @picocli.CommandLine.Mixin KafkaOptions kafka;

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
      names = "--dead-letter-topic",
      paramLabel = "TOPIC",
      description =
          "Where records that cannot be copied go (default: <from>.dlt; created when absent)")
  String deadLetterTopic;

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
    String dlt = deadLetterTopic != null ? deadLetterTopic : from + ".dlt";
    if (dlt.equals(from) || dlt.equals(to)) {
      err.println(
          "--dead-letter-topic " + dlt + " is the input or the output topic; name another topic");
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
    int maxRecordBytes;
    try (Admin admin = Admin.create(kafka.adminProperties())) {
      DeadLetterTopics.ensure(admin, from, dlt, out);
      maxRecordBytes = maxRecordBytes(admin, props);
    }

    ExactlyOnceProcessor processor =
        ExactlyOnceProcessor.builder(props)
            .groupId(group)
            .deadLetterTopic(dlt)
            .instanceId(instanceId)
            .meterRegistry(served.registry())
            .guarantee(g)
            .input(from, new ByteArrayDeserializer(), new ByteArrayDeserializer())
            // A record the output refuses would abort every transaction it is in and block its
            // partition for good; it goes to the dead-letter topic instead.
            .nonRetriable(RecordTooLargeException.class)
            .process(
                (record, o) -> {
                  checkSize(record, maxRecordBytes);
                  o.send(to, record.partition(), record.key(), record.value(), record.headers());
                })
            .build();
    out.printf("copying %s -> %s as group %s (%s)%n", from, to, group, guarantee);
    out.flush();
    processor.start();
    try (KafkaConsumer<byte[], byte[]> probe = consumer(props);
        Admin admin = Admin.create(props)) {
      LongRunning running =
          new LongRunning(
              "copy",
              processor,
              CLOSE_TIMEOUT,
              Progress.of(served.registry())
                  .count("handled", Metric.RECORDS_IN.meterName())
                  .count("committed batches", Metric.COMMITS.meterName())
                  .count("dead-lettered", Metric.DEAD_LETTERS.meterName()),
              out,
              err);
      if (running.run(() -> untilEnd && reachedQuietly(admin, probe, target)) != 0) {
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

  /**
   * The largest record the copy can write: the output topic's {@code max.message.bytes} or the
   * producer's {@code max.request.size}, whichever is smaller.
   */
  private int maxRecordBytes(Admin admin, Map<String, Object> props) throws Exception {
    ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, to);
    Config config =
        admin.describeConfigs(List.of(topic)).all().get(30, TimeUnit.SECONDS).get(topic);
    ConfigEntry entry = config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
    int topicLimit = entry == null ? Integer.MAX_VALUE : Integer.parseInt(entry.value());
    Object request = props.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    int requestLimit = request == null ? 1024 * 1024 : Integer.parseInt(String.valueOf(request));
    return Math.min(topicLimit, requestLimit);
  }

  /**
   * Refuses a record larger than {@code limit} with its key, value, headers and the record batch
   * overhead (61 bytes of batch header, up to 21 of record framing, varint lengths).
   */
  private void checkSize(ConsumerRecord<byte[], byte[]> record, int limit) {
    long size = 61 + 21 + length(record.key()) + length(record.value());
    for (Header h : record.headers()) {
      size += 10 + h.key().getBytes(StandardCharsets.UTF_8).length + length(h.value());
    }
    if (size > limit) {
      throw new RecordTooLargeException(
          "record of about "
              + size
              + " bytes is over the "
              + limit
              + " bytes that "
              + to
              + " accepts (max.message.bytes, max.request.size)");
    }
  }

  private static int length(byte[] bytes) {
    return bytes == null ? 0 : bytes.length;
  }

  private Map<String, Object> clientProperties() {
    Map<String, Object> props = kafka.clientProperties();
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

  private boolean reachedQuietly(
      Admin admin, KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> target) {
    try {
      return reached(admin, c, target);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      // The group's offsets could not be read this time; the next progress line tries again.
      return false;
    }
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
