package dev.exactly.cli;

import dev.exactly.Ticker;
import dev.exactly.internal.Meters;
import dev.exactly.internal.Metric;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code exactly transactions}: open and hanging transactions, and aborting them. */
@Command(
    name = "transactions",
    mixinStandardHelpOptions = true,
    header = "List, find hanging and abort Kafka transactions.",
    description = {
      "Shows open transactions with the Exactly component that owns each transactional.id, how"
          + " long each has been open and the partitions it holds back from read_committed"
          + " readers; finds transactions left open by a dead producer and aborts them."
    },
    subcommands = {
      TransactionsCommand.ListOpen.class,
      TransactionsCommand.FindHanging.class,
      TransactionsCommand.Abort.class
    })
final class TransactionsCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing subcommand: list, find-hanging or abort");
  }

  /** The options every subcommand takes. */
  static final class Target {
    @Option(
        names = "--bootstrap-server",
        required = true,
        paramLabel = "HOST:PORT",
        description = "Kafka brokers")
    String bootstrapServer;

    @Option(
        names = "--command-config",
        paramLabel = "FILE",
        description = "Admin client properties (SSL, SASL)")
    Path commandConfig;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Only this topic's partitions")
    String topic;

    @Option(
        names = "--older-than",
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        defaultValue = "5m",
        description =
            "Only transactions open (or idle) at least this long (default: ${DEFAULT-VALUE})")
    Duration olderThan;

    Admin admin() {
      return Admin.create(PropertiesFiles.admin(bootstrapServer, commandConfig));
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      header = "Transactions open at their coordinators.")
  static final class ListOpen implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Target target;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      try (Admin admin = target.admin()) {
        List<OpenTransactions.Open> open =
            new OpenTransactions(admin, Ticker.system()).list(target.olderThan, target.topic);
        out.printf(
            "%-40s %-10s %10s %10s  %-40s  %s%n",
            "TRANSACTIONAL ID", "STATE", "OPEN FOR", "TIMEOUT", "OWNER", "PARTITIONS");
        for (OpenTransactions.Open o : open) {
          out.printf(
              "%-40s %-10s %10s %10s  %-40s  %s%n",
              o.transactionalId(),
              o.state(),
              human(o.openFor()),
              human(o.timeout()),
              o.owner(),
              o.partitions().stream().map(Object::toString).collect(Collectors.joining(",")));
        }
        out.printf("%d open transaction(s) older than %s%n", open.size(), human(target.olderThan));
      }
      return 0;
    }
  }

  @Command(
      name = "find-hanging",
      mixinStandardHelpOptions = true,
      header = "Transactions a dead producer left open on partitions.")
  static final class FindHanging implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Target target;
    @Mixin MetricsOption metrics;

    @Option(
        names = "--watch",
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        description =
            "Check again at this interval until Ctrl-C, keeping the exactly.transactions.hanging"
                + " gauges current (serve them with --metrics-port)")
    Duration watch;

    /** Counted down when the watch should stop; tests use it instead of Ctrl-C. */
    final CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      if (watch == null && metrics.port != null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--metrics-port needs --watch: one check has nothing to serve");
      }
      try (Admin admin = target.admin();
          MetricsOption.Served served = metrics.start(out)) {
        OpenTransactions transactions = new OpenTransactions(admin, Ticker.system());
        if (watch == null) {
          print(out, transactions.findHanging(target.olderThan, target.topic), target.olderThan);
          return 0;
        }
        AtomicLong count = new AtomicLong();
        AtomicLong oldestSeconds = new AtomicLong();
        Meters meters =
            new Meters(served.registry(), Metric.C.TRANSACTIONS, "cluster", target.bootstrapServer);
        meters.gauge(Metric.TRANSACTIONS_HANGING, count, AtomicLong::get);
        meters.gauge(Metric.TRANSACTIONS_HANGING_AGE, oldestSeconds, AtomicLong::get);
        Thread hook = new Thread(stop::countDown, "exactly-transactions-watch-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
          do {
            List<OpenTransactions.Hanging> hanging =
                transactions.findHanging(target.olderThan, target.topic);
            count.set(hanging.size());
            oldestSeconds.set(
                hanging.stream().mapToLong(h -> h.sinceLastWrite().toSeconds()).max().orElse(0));
            print(out, hanging, target.olderThan);
            out.flush();
          } while (!stop.await(watch.toMillis(), TimeUnit.MILLISECONDS));
        } finally {
          try {
            Runtime.getRuntime().removeShutdownHook(hook);
          } catch (IllegalStateException shuttingDown) {
            // Ctrl-C: the JVM is on its way out anyway
          }
        }
      }
      return 0;
    }
  }

  @Command(
      name = "abort",
      mixinStandardHelpOptions = true,
      header = "Abort what find-hanging finds, releasing its partitions.")
  static final class Abort implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Target target;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      try (Admin admin = target.admin()) {
        OpenTransactions transactions = new OpenTransactions(admin, Ticker.system());
        List<OpenTransactions.Hanging> hanging =
            transactions.findHanging(target.olderThan, target.topic);
        print(out, hanging, target.olderThan);
        transactions.abort(hanging);
        out.printf("aborted %d transaction(s) on their partitions%n", hanging.size());
      }
      return 0;
    }
  }

  static void print(PrintWriter out, List<OpenTransactions.Hanging> hanging, Duration olderThan) {
    out.printf(
        "%-24s %12s %12s %10s  %-30s %-16s  %s%n",
        "PARTITION",
        "START OFFSET",
        "PRODUCER ID",
        "IDLE FOR",
        "TRANSACTIONAL ID",
        "COORDINATOR",
        "OWNER");
    for (OpenTransactions.Hanging h : hanging) {
      out.printf(
          "%-24s %12d %12d %10s  %-30s %-16s  %s%n",
          h.partition(),
          h.startOffset(),
          h.producerId(),
          human(h.sinceLastWrite()),
          h.transactionalId() == null ? "-" : h.transactionalId(),
          h.coordinatorState(),
          h.owner());
    }
    out.printf(
        "%d transaction(s) open on partitions with no write for %s%n",
        hanging.size(), human(olderThan));
  }

  static String human(Duration d) {
    long s = d.toSeconds();
    if (s < 60) {
      return d.toMillis() < 1000 ? d.toMillis() + "ms" : s + "s";
    }
    if (s < 3600) {
      return (s / 60) + "m" + (s % 60 == 0 ? "" : (s % 60) + "s");
    }
    return (s / 3600) + "h" + ((s % 3600) / 60) + "m";
  }
}
