package dev.exactly.cli;

import dev.exactly.testkit.check.RecordId;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code exactly verify}: checks that every id of an input topic took effect exactly once in each
 * output, with the testkit's checker. Exit 0 clean, 1 violated, 2 could not check.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    header = "Check that each input took effect exactly once in each output.",
    description = {
      "Reads the input topic (read_committed) and each output to its end as of the start: an"
          + " output topic read_committed, or the rows of a SQL query (first column the id)."
          + " Reports ids lost, duplicated, unexpected and reordered per key, records of aborted"
          + " transactions, and partitions stuck behind an open transaction.",
      "Exit codes: 0 exactly once, 1 violated, 2 could not check."
    })
final class VerifyCommand implements Callable<Integer> {
  static final int CLEAN = 0;
  static final int VIOLATED = 1;
  static final int COULD_NOT_CHECK = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Option(names = "--input", required = true, paramLabel = "TOPIC", description = "Input topic")
  String input;

  @Option(
      names = "--output",
      paramLabel = "TOPIC",
      description = "An output topic; repeat for several")
  List<String> outputs = new ArrayList<>();

  @Option(
      names = "--jdbc-url",
      paramLabel = "URL",
      description = "A database output: its JDBC URL (with --query)")
  String jdbcUrl;

  @Option(
      names = "--query",
      paramLabel = "SQL",
      description =
          "Returns one row per effect, the id first, in the order the effects took place"
              + " (ORDER BY) when --order-by is given")
  String query;

  @Option(
      names = "--id",
      required = true,
      paramLabel = "WHERE",
      description = "Where a record's id is: value, key, header:NAME or json:/pointer")
  String id;

  @Option(
      names = "--order-by",
      paramLabel = "WHERE",
      description =
          "The key whose records must keep their input order: key, value, header:NAME,"
              + " json:/pointer or none (default: key for topics; tables unchecked)")
  String orderBy;

  @Option(
      names = "--settle",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "10s",
      description =
          "How long an open transaction may hold a partition back before it counts as stuck"
              + " (default: ${DEFAULT-VALUE})")
  Duration settle;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "30s",
      description = "For each call to the cluster and each topic read (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(
      names = "--fail-on-aborted",
      description = "Exit 1 when an output holds aborted records (default: report them only)")
  boolean failOnAborted;

  @Option(names = "--json", description = "Print one JSON document")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Verification.Settings settings = settings();
    PrintWriter out = spec.commandLine().getOut();
    VerifyOutcome outcome;
    try {
      outcome = new Verification(settings).run();
    } catch (Verification.CannotCheck e) {
      if (json) {
        out.println(VerifyJson.ofError(e.getMessage()));
      }
      spec.commandLine().getErr().println("exactly verify: could not check: " + e.getMessage());
      return COULD_NOT_CHECK;
    }
    if (json) {
      out.println(VerifyJson.of(outcome));
    } else {
      VerifyText.print(outcome, out);
    }
    return outcome.exitCode();
  }

  private Verification.Settings settings() {
    if (outputs.isEmpty() && jdbcUrl == null) {
      throw usage("give at least one output: --output TOPIC, or --jdbc-url URL with --query SQL");
    }
    if ((jdbcUrl == null) != (query == null)) {
      throw usage(
          jdbcUrl == null
              ? "--query needs --jdbc-url, the database to run it on"
              : "--jdbc-url needs --query, returning one row per effect with the id first");
    }
    Map<String, Object> client;
    try {
      client = kafka.clientProperties();
    } catch (java.io.UncheckedIOException e) {
      throw usage("--command-config " + e.getMessage());
    }
    Optional<RecordId> order =
        "none".equals(orderBy)
            ? Optional.empty()
            : Optional.of(recordId("--order-by", orderBy == null ? "key" : orderBy));
    return new Verification.Settings(
        client,
        input,
        List.copyOf(outputs),
        Optional.ofNullable(jdbcUrl),
        Optional.ofNullable(query),
        recordId("--id", id),
        order,
        orderBy != null,
        settle,
        timeout,
        failOnAborted);
  }

  private RecordId recordId(String option, String value) {
    try {
      return RecordId.parse(value);
    } catch (IllegalArgumentException e) {
      throw usage(option + " " + e.getMessage());
    }
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
