package dev.exactly.cli.demo;

import dev.exactly.testkit.CountingHttpServer;
import dev.exactly.testkit.check.AbortedReadMonitor;
import dev.exactly.testkit.check.Effect;
import dev.exactly.testkit.check.Input;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One run of the demo: starts the broker(s), the database, the gateway and the four stages, sends
 * the orders while the killer works, waits for the pipeline to drain, then checks every sink.
 */
public final class DemoRun {
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);
  private static final int SETTLE_SECONDS = 2;

  /**
   * @param orders orders the HTTP clients send
   * @param ratePerSecond how fast they send them
   * @param killEvery time between two kills; zero kills nothing
   * @param brokers 1 (in-process, never killed) or more (child JVMs, one killed now and then)
   * @param guarantee which components the stages use
   * @param dir where the database, the stage logs and the report go
   * @param postgresUrl a PostgreSQL JDBC URL for the DB stages, or null for an H2 server in this
   *     process
   * @param redisUri a Redis URI for the charge stage's dedup store, or null for the JDBC store
   */
  public record Settings(
      int orders,
      double ratePerSecond,
      Duration killEvery,
      int brokers,
      DemoGuarantee guarantee,
      Path dir,
      String postgresUrl,
      String redisUri) {}

  private final Settings settings;
  private final PrintWriter out;

  public DemoRun(Settings settings, PrintWriter out) {
    this.settings = settings;
    this.out = out;
  }

  /**
   * Runs the pipeline, prints the per-stage table, writes {@code report.html} into the run's
   * directory and prints its path.
   *
   * @return whether every stage was exactly-once
   */
  public boolean runAndReport() throws Exception {
    DemoResult result = run();
    TablePrinter.print(result, out);
    Path report = DemoReport.write(result, settings.dir().resolve("report.html"));
    out.println("HTML report: " + report.toAbsolutePath());
    out.flush();
    return result.exactlyOnce();
  }

  DemoResult run() throws Exception {
    long begin = System.currentTimeMillis();
    Files.createDirectories(settings.dir());
    try (DemoBrokers kafka = DemoBrokers.start(settings.brokers());
        DemoDatabase db =
            settings.postgresUrl() == null
                ? DemoDatabase.startH2(settings.dir().resolve("db"))
                : DemoDatabase.external(settings.postgresUrl());
        CountingHttpServer gateway = CountingHttpServer.start(CountingHttpServer.Mode.HONOUR_KEY)) {
      String bootstrap = kafka.bootstrapServers();
      for (String topic : DemoTopics.ALL) {
        kafka.createTopic(topic, topic.equals(DemoTopics.ORDERS_DLT) ? 1 : DemoTopics.PARTITIONS);
      }
      int port = freePort();
      Map<String, String> common = new HashMap<>();
      common.put(StageArgs.BOOTSTRAP, bootstrap);
      common.put(StageArgs.JDBC_URL, db.jdbcUrl());
      common.put(StageArgs.GUARANTEE, settings.guarantee().name());
      common.put(StageArgs.GATEWAY, gateway.effectsUri().toString());
      common.put(StageArgs.PORT, Integer.toString(port));
      if (settings.redisUri() != null) {
        common.put(StageArgs.REDIS, settings.redisUri());
        // A new prefix per run: keys done in an earlier run must not hide this run's orders.
        common.put(StageArgs.REDIS_PREFIX, "exactly-demo:" + begin + ":");
      }
      StageArgs args = new StageArgs(Map.copyOf(common));
      Path logs = settings.dir().resolve("logs");
      List<Stage> stages =
          List.of(
              // The kill order: the slowest stage first, so even a short run kills it mid-backlog.
              new Stage("charge", ChargeStage.class, args, logs),
              new Stage("fraud", FraudStage.class, args, logs),
              new Stage("ledger", LedgerStage.class, args, logs),
              new Stage("ingest", IngestStage.class, args, logs));
      out.printf(
          "%s pipeline on %s, database %s, payment gateway at %s%nstarting %d stages as child"
              + " processes (logs in %s)...%n",
          settings.guarantee().label(),
          settings.brokers() == 1 ? "an in-process broker " + bootstrap : bootstrap,
          db.jdbcUrl(),
          gateway.effectsUri(),
          stages.size(),
          logs);
      out.flush();
      try {
        for (Stage s : stages) {
          s.start();
        }
        for (Stage s : stages) {
          s.awaitReady();
        }
        return drive(kafka, db, gateway, stages, port, begin);
      } finally {
        stages.forEach(Stage::close);
      }
    }
  }

  private DemoResult drive(
      DemoBrokers kafka,
      DemoDatabase db,
      CountingHttpServer gateway,
      List<Stage> stages,
      int port,
      long begin)
      throws Exception {
    String bootstrap = kafka.bootstrapServers();
    LoadGenerator load =
        new LoadGenerator(
            URI.create("http://127.0.0.1:" + port + "/api/orders"),
            settings.orders(),
            settings.ratePerSecond());
    long loadStart = System.currentTimeMillis();
    try (AbortedReadMonitor monitor = AbortedReadMonitor.start(bootstrap, DemoTopics.PAYMENTS);
        CommittedTail tail = new CommittedTail(bootstrap, DemoTopics.ALL);
        Killer killer =
            new Killer(
                stages,
                kafka,
                settings.killEvery(),
                () -> System.currentTimeMillis() - loadStart)) {
      Progress progress = new Progress(tail, db, gateway, load, killer);
      out.printf(
          "sending %d orders at %.0f/s from %d clients; a kill every %s%n",
          settings.orders(),
          settings.ratePerSecond(),
          LoadGenerator.CUSTOMERS,
          settings.killEvery().isZero() ? "never" : settings.killEvery().toMillis() + " ms");
      out.flush();
      Thread sender =
          new Thread(
              () -> {
                try {
                  load.run();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "demo-load");
      sender.start();
      // Kills begin once orders reach the last stage: a pipeline still starting up has nothing
      // in flight to lose or repeat. They go on while the stages catch up after the last order.
      boolean killing = false;
      long drainDeadline = Long.MAX_VALUE;
      Progress.Counts previous = null;
      int unchangedSeconds = 0;
      while (true) {
        if (sender.isAlive()) {
          sender.join(1000);
        } else {
          Thread.sleep(1000);
        }
        Progress.Counts counts = progress.counts();
        printProgress(progress, loadStart, counts);
        if (!killing && counts.charged() > 0) {
          killer.start();
          killing = true;
        }
        if (sender.isAlive()) {
          continue;
        }
        if (drainDeadline == Long.MAX_VALUE) {
          drainDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        }
        // Counts include repeats, so an at-least-once stage may reach them with orders still to
        // go: done only once, with every stage up, nothing has moved for a few seconds.
        boolean complete = progress.complete(counts);
        if (complete) {
          killer.stopKilling();
        }
        unchangedSeconds = counts.equals(previous) && killer.idle() ? unchangedSeconds + 1 : 0;
        previous = counts;
        if (complete && unchangedSeconds >= SETTLE_SECONDS || System.nanoTime() > drainDeadline) {
          break;
        }
      }
      killer.stopKilling();
      killer.stop(); // first: it would restart the stages stopped next
      stages.forEach(Stage::close);
      out.println("all orders sent; stages stopped; checking every sink...");
      out.flush();
      int abortedReads = monitor.report(Duration.ofSeconds(30)).abortedReads().size();
      List<Input> good = load.acceptedOrders();
      List<Input> malformed = load.malformed();
      List<StageResult> results =
          new DemoChecks(bootstrap, db, gateway, load.firstSentMs())
              .check(good, malformed, abortedReads);
      return new DemoResult(
          settings.guarantee(),
          settings.brokers(),
          new DemoResult.LoadSummary(
              settings.orders(),
              load.requestsSent(),
              load.accepted(),
              malformed.size(),
              load.retries(),
              load.repeats(),
              load.replayed(),
              load.refused().size()),
          loadStart,
          System.currentTimeMillis() - begin,
          killer.kills(),
          killer.crashes(),
          results,
          chargesPerOrder(good, gateway.effects()));
    }
  }

  private void printProgress(Progress progress, long loadStart, Progress.Counts counts) {
    out.println(progress.line(System.currentTimeMillis() - loadStart, settings.orders(), counts));
    out.flush();
  }

  private static SortedMap<Integer, Integer> chargesPerOrder(
      List<Input> good, List<Effect> charges) {
    Map<String, Integer> perOrder = new HashMap<>();
    good.forEach(o -> perOrder.put(o.id(), 0));
    charges.forEach(e -> perOrder.merge(e.inputId(), 1, Integer::sum));
    SortedMap<Integer, Integer> histogram = new TreeMap<>();
    perOrder.values().forEach(n -> histogram.merge(n, 1, Integer::sum));
    return histogram;
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port for the ingest stage", e);
    }
  }
}
