package dev.exactly.cli;

import dev.exactly.cli.demo.DemoGuarantee;
import dev.exactly.cli.demo.DemoRun;
import dev.exactly.testkit.TestDirectories;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code exactly demo}: the whole order pipeline (HTTP ingest, fraud scoring, DB sink, payment
 * charges, notifications) as child processes that are SIGKILLed while orders flow, then every sink
 * checked for loss, duplicates and reordering. Exit 0 only when every stage is exactly-once.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    header = "Run the order pipeline under kills and check every stage.",
    description = {
      "HTTP clients post orders with an Idempotency-Key (some retried, some sent twice, some",
      "malformed); ingest -> orders -> fraud scoring -> payments -> DB sink and payment charges",
      "-> notifications, each stage a child JVM that is SIGKILLed and restarted while the orders",
      "flow. At the end: a per-stage table (lost, duplicated, reordered, aborted reads) and an",
      "HTML report. Exit 0 when every stage is exactly-once, 1 otherwise."
    })
final class DemoCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--orders",
      paramLabel = "N",
      description = "Orders to send (default: ${DEFAULT-VALUE}).",
      defaultValue = "1200")
  int orders;

  @Option(
      names = "--rate",
      paramLabel = "N",
      description = "Orders per second the clients send (default: ${DEFAULT-VALUE}).",
      defaultValue = "40")
  int rate;

  @Option(
      names = "--kill-every",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Time between two SIGKILLs, e.g. 4s; 0s kills nothing (default: ${DEFAULT-VALUE}).",
      defaultValue = "3s")
  Duration killEvery;

  @Option(
      names = "--brokers",
      paramLabel = "N",
      description =
          "1: an in-process broker, never killed; 3: child-JVM brokers, one killed every third"
              + " kill (default: ${DEFAULT-VALUE}).",
      defaultValue = "1")
  int brokers;

  @Option(
      names = "--guarantee",
      paramLabel = "G",
      description =
          "exactly-once (Exactly's components) or at-least-once (plain ones, to see the"
              + " duplicates) (default: ${DEFAULT-VALUE}).",
      defaultValue = "exactly-once")
  String guarantee;

  @Option(
      names = "--postgres",
      paramLabel = "URL",
      description =
          "Run the DB stages on PostgreSQL, e.g. jdbc:postgresql://127.0.0.1:5432/test?user=postgres;"
              + " the demo's tables are dropped and created again (default: an H2 server).")
  String postgres;

  @Option(
      names = "--redis",
      paramLabel = "URI",
      description =
          "Keep the charge stage's dedup keys on Redis, e.g. redis://127.0.0.1:6379, under a new"
              + " key prefix per run (default: the JDBC dedup store in the database).")
  String redis;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description =
          "Where the database, the stage logs and report.html go (default: a new directory).")
  Path dir;

  @Override
  public Integer call() throws Exception {
    requirePositive("--orders", orders);
    requirePositive("--rate", rate);
    if (brokers != 1 && brokers != 3) {
      throw bad("--brokers", Integer.toString(brokers), "must be 1 or 3");
    }
    if (killEvery.isNegative()) {
      throw bad("--kill-every", killEvery.toString(), "must be 0s or more");
    }
    DemoGuarantee g;
    try {
      g = DemoGuarantee.parse(guarantee);
    } catch (IllegalArgumentException e) {
      throw bad("--guarantee", guarantee, "must be exactly-once or at-least-once");
    }
    Path runDir = dir != null ? dir : TestDirectories.newDirectory("demo");
    PrintWriter out = spec.commandLine().getOut();
    if (postgres != null && !postgres.startsWith("jdbc:postgresql:")) {
      throw bad("--postgres", postgres, "must be a jdbc:postgresql: URL");
    }
    if (redis != null && !redis.startsWith("redis://") && !redis.startsWith("rediss://")) {
      throw bad("--redis", redis, "must be a redis:// URI");
    }
    DemoRun run =
        new DemoRun(
            new DemoRun.Settings(orders, rate, killEvery, brokers, g, runDir, postgres, redis),
            out);
    return run.runAndReport() ? 0 : 1;
  }

  private void requirePositive(String option, int value) {
    if (value < 1) {
      throw bad(option, Integer.toString(value), "must be at least 1");
    }
  }

  private CommandLine.ParameterException bad(String option, String value, String why) {
    return new CommandLine.ParameterException(
        spec.commandLine(), "Invalid value for option '" + option + "': " + value + " " + why);
  }
}
