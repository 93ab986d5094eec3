package dev.exactly.cli;

import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ConfigurationException;
import dev.exactly.internal.Metric;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.outbox.OutboxRelay;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code exactly relay}: the outbox relay as its own process, publishing each committed outbox row
 * to its topic exactly once. Restart it after any crash; one instance per name publishes at a time.
 */
@Command(
    name = "relay",
    mixinStandardHelpOptions = true,
    header = "Publish an outbox table to Kafka exactly once.",
    description = {
      "Publishes each row your transactions wrote to the outbox table to its topic, in",
      "Kafka transactions that also record the position. Restart it after any crash: no row",
      "is lost or published twice. Run several for failover; one publishes. Stops on Ctrl-C."
    })
final class RelayCommand implements Callable<Integer> {
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Mixin JdbcOptions jdbc;

  @Mixin MetricsOption metrics;

  @Option(
      names = "--table",
      paramLabel = "NAME",
      defaultValue = "exactly_outbox",
      description = "The outbox table, created when absent (default: ${DEFAULT-VALUE})")
  String table;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description =
          "The relay's name: its lock, position and transactional.id (default: the table)")
  String name;

  @Option(
      names = "--dead-letter-topic",
      paramLabel = "TOPIC",
      description =
          "Where rows Kafka refuses go (default: exactly-outbox-dlt; created when absent)")
  String deadLetterTopic;

  @Override
  public Integer call() throws Exception {
    CommandLine cmd = spec.commandLine();
    try {
      Dialect.checkIdentifier("--table", table);
    } catch (ConfigurationException e) {
      throw new CommandLine.ParameterException(
          cmd, "Invalid value for option '--table': " + e.getMessage());
    }
    PrintWriter out = cmd.getOut();
    try (MetricsOption.Served served = metrics.start(out);
        HikariDataSource pool =
            jdbc.pool(cmd, "exactly-relay", 4, Duration.ofSeconds(10), null, System.getenv())) {
      OutboxRelay.Builder builder =
          OutboxRelay.builder()
              .dataSource(pool)
              .kafkaProperties(kafka.clientProperties())
              .table(table)
              .meterRegistry(served.registry())
              // The command is the user's explicit choice to have the dead-letter topic made.
              .createTopics(true);
      if (name != null) {
        builder.name(name);
      }
      if (deadLetterTopic != null) {
        builder.deadLetterTopic(deadLetterTopic);
      }
      OutboxRelay relay;
      try {
        relay = builder.build();
      } catch (ConfigurationException e) {
        throw new CommandLine.ParameterException(cmd, e.getMessage());
      }
      out.printf("relaying outbox table %s to Kafka%n", table);
      out.flush();
      relay.start();
      return new LongRunning(
              "relay",
              relay,
              CLOSE_TIMEOUT,
              Progress.of(served.registry())
                  .count("published", Metric.RECORDS_COMMITTED.meterName())
                  .count("dead-lettered", Metric.DEAD_LETTERS.meterName())
                  .count("backlog", Metric.OUTBOX_BACKLOG.meterName()),
              out,
              cmd.getErr())
          .run(() -> false);
    }
  }
}
