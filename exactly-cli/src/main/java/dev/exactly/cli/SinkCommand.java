package dev.exactly.cli;

import com.fasterxml.jackson.core.JsonPointer;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ConfigurationException;
import dev.exactly.internal.Metric;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.sink.DbSink;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code exactly sink}: JSON records from a topic upserted into a table by a key field, through the
 * DB sink: rows and offsets commit in one database transaction, fenced by the partition's epoch.
 */
@Command(
    name = "sink",
    mixinStandardHelpOptions = true,
    header = "Upsert JSON records from a topic into a table, exactly once.",
    description = {
      "Reads JSON records and upserts each into the table by the key its JSON Pointer finds:",
      "one row per key, the latest document, and a revision counting the records applied.",
      "Offsets live in the database with the rows; restart it after any crash. A record that",
      "is not JSON or has no key goes to the dead-letter topic. Stops on Ctrl-C."
    })
final class SinkCommand implements Callable<Integer> {
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Mixin JdbcOptions jdbc;

  @Mixin MetricsOption metrics;

  @Option(names = "--from", required = true, paramLabel = "TOPIC", description = "Input topic")
  String from;

  @Option(
      names = "--group",
      required = true,
      paramLabel = "GROUP",
      description = "Consumer group; also the key of the offset rows")
  String group;

  @Option(
      names = "--table",
      required = true,
      paramLabel = "NAME",
      description = "Table to upsert into (created when absent), optionally schema.table")
  String table;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "POINTER",
      description = "JSON Pointer to the key field in each value, e.g. /orderId")
  String key;

  @Option(
      names = "--dead-letter-topic",
      paramLabel = "TOPIC",
      description = "Where unusable records go (default: <from>.dlt; created when absent)")
  String deadLetterTopic;

  @Option(
      names = "--offset-table",
      paramLabel = "NAME",
      defaultValue = "exactly_sink_offsets",
      description = "Table of the group's offsets and epochs (default: ${DEFAULT-VALUE})")
  String offsetTable;

  @Option(
      names = "--instance-id",
      paramLabel = "ID",
      defaultValue = "sink",
      description = "Stable id of this instance; the group.instance.id is <group>-<id>")
  String instanceId;

  /** Set once running; tests stop an in-process command through it. */
  volatile LongRunning running;

  @Override
  public Integer call() throws Exception {
    CommandLine cmd = spec.commandLine();
    SinkTable target;
    try {
      target = SinkTable.named("--table", table);
      Dialect.checkIdentifier("--offset-table", offsetTable);
    } catch (ConfigurationException e) {
      throw new CommandLine.ParameterException(
          cmd, "Invalid value for option '" + e.key() + "': " + e.getMessage());
    }
    JsonPointer pointer = pointer(cmd, key);
    String dlt = deadLetterTopic != null ? deadLetterTopic : from + ".dlt";
    if (dlt.equals(from)) {
      throw new CommandLine.ParameterException(
          cmd,
          "Invalid value for option '--dead-letter-topic': "
              + dlt
              + " is the input topic; name another topic");
    }
    PrintWriter out = cmd.getOut();
    try (MetricsOption.Served served = metrics.start(out);
        HikariDataSource pool =
            jdbc.pool(cmd, "exactly-sink", 2, Duration.ofSeconds(10), null, System.getenv())) {
      target.createIfAbsent(pool);
      try (Admin admin = Admin.create(kafka.adminProperties())) {
        DeadLetterTopics.ensure(admin, from, dlt, out);
      }
      Map<String, Object> props = kafka.clientProperties();
      // Static membership: a sink restarted after a crash takes its partitions back at once
      // instead of waiting a session timeout for the dead member to leave the group.
      props.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, group + "-" + instanceId);
      DbSink<byte[], JsonDocument> sink =
          DbSink.<byte[], JsonDocument>builder()
              .kafkaProperties(props)
              .groupId(group)
              .topics(from)
              .deserializers(new ByteArrayDeserializer(), JsonDocument.deserializer(pointer))
              .dataSource(pool)
              .offsetTable(offsetTable)
              .deadLetterTopic(dlt)
              .instanceId(instanceId)
              .meterRegistry(served.registry())
              .handler(target::write)
              .build();
      out.printf(
          "sinking %s -> table %s by key %s as group %s (dead letters: %s)%n",
          from, target.name(), key, group, dlt);
      out.flush();
      sink.start();
      running =
          new LongRunning(
              "sink",
              sink,
              CLOSE_TIMEOUT,
              Progress.of(served.registry())
                  .count("handled", Metric.RECORDS_IN.meterName())
                  .count("committed", Metric.RECORDS_COMMITTED.meterName())
                  .count("dead-lettered", Metric.DEAD_LETTERS.meterName()),
              out,
              cmd.getErr());
      return running.run(() -> false);
    }
  }

  /** The key's JSON Pointer, refused at start when it cannot find a field. */
  static JsonPointer pointer(CommandLine cmd, String value) {
    JsonPointer p;
    try {
      p = JsonPointer.compile(value);
    } catch (IllegalArgumentException e) {
      p = null;
    }
    if (p == null || p.matches()) {
      throw new CommandLine.ParameterException(
          cmd,
          "Invalid value for option '--key': '"
              + value
              + "' is not a JSON Pointer to a field; write one starting with /, e.g. /orderId");
    }
    return p;
  }
}
