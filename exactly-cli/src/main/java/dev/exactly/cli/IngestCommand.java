package dev.exactly.cli;

import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ConfigurationException;
import dev.exactly.http.IdempotentIngest;
import dev.exactly.http.IngestServer;
import dev.exactly.http.Route;
import dev.exactly.internal.Metric;
import dev.exactly.jdbc.outbox.OutboxRelay;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code exactly ingest}: an HTTP endpoint that accepts JSON with an Idempotency-Key and publishes
 * each key's request to Kafka exactly once, through the outbox and its relay in this process.
 */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    header = "Publish HTTP requests to Kafka once per Idempotency-Key.",
    description = {
      "Serves POST on each route. Each accepted request is stored with its key and",
      "published exactly once by the outbox relay running in this process.",
      "Retries get the stored response (Idempotent-Replayed: true). Stops on Ctrl-C."
    })
final class IngestCommand implements Callable<Integer> {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin KafkaOptions kafka;

  @CommandLine.Mixin JdbcOptions jdbc;

  @CommandLine.Mixin MetricsOption metrics;

  @Option(
      names = "--route",
      required = true,
      paramLabel = "PATH=TOPIC:POINTER",
      description = "A route, e.g. /api/orders=orders:/orderId (repeatable)")
  List<String> routes = new ArrayList<>();

  @Option(
      names = "--data",
      paramLabel = "DIR",
      defaultValue = "exactly-ingest-data",
      description =
          "Directory of the H2 database used without --jdbc-url (default: ${DEFAULT-VALUE})")
  Path data;

  @Option(
      names = "--port",
      paramLabel = "N",
      defaultValue = "8080",
      description = "HTTP port (default: 8080; 0 picks a free one)")
  int port;

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      defaultValue = "127.0.0.1",
      description = "Address to listen on (default: 127.0.0.1)")
  String bind;

  @Option(names = "--require-key", description = "Refuse requests without Idempotency-Key (400)")
  boolean requireKey;

  @Option(
      names = "--client-header",
      paramLabel = "NAME",
      description = "Header naming the client; keys are scoped per client (default: none)")
  String clientHeader;

  @Option(
      names = "--retention",
      paramLabel = "DURATION",
      defaultValue = "PT24H",
      description = "How long keys are kept, ISO-8601 (default: PT24H)")
  Duration retention;

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "Invalid value for option '--port': " + port + " (0 to 65535)");
    }
    IdempotentIngest.Builder builder = IdempotentIngest.builder();
    try {
      for (String r : routes) {
        builder.route(Route.parse(r));
      }
    } catch (ConfigurationException | IllegalStateException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "Invalid value for option '--route': " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    try (MetricsOption.Served served = metrics.start(out)) {
      return serve(builder, out, served);
    }
  }

  private Integer serve(
      IdempotentIngest.Builder builder, PrintWriter out, MetricsOption.Served served)
      throws Exception {
    String h2 = null;
    if (jdbc.url == null) {
      Path dir = data.toAbsolutePath();
      Files.createDirectories(dir);
      // WRITE_DELAY=0: a commit is in the file before the 2xx goes out, so a kill loses no key.
      h2 = "jdbc:h2:file:" + dir.resolve("ingest") + ";WRITE_DELAY=0";
      out.printf("database: H2 file in %s%n", dir);
    }
    // A short wait for a connection: a request the pool cannot serve soon fails fast (503).
    HikariDataSource dataSource =
        jdbc.pool(
            spec.commandLine(), "exactly-ingest", 20, Duration.ofSeconds(2), h2, System.getenv());
    OutboxRelay relay = null;
    IngestServer server = null;
    try {
      if (clientHeader != null) {
        builder.clientHeader(clientHeader);
      }
      IdempotentIngest ingest =
          builder
              .dataSource(dataSource)
              .requireKey(requireKey)
              .retention(retention)
              .meterRegistry(served.registry())
              .build();
      ingest.createTablesIfAbsent();
      relay =
          OutboxRelay.builder()
              .dataSource(dataSource)
              .kafkaProperties(kafka.clientProperties())
              .name("exactly-ingest")
              .meterRegistry(served.registry())
              .createTopics(true)
              .build();
      relay.start();
      server = IngestServer.builder().ingest(ingest).bind(bind).port(port).build();
      server.start();
      out.printf("listening on http://%s:%d%n", bind, server.port());
      for (String r : routes) {
        out.printf("  POST %s%n", r);
      }
      out.println("Press Ctrl-C to stop.");
      out.flush();
      IngestServer s = server;
      int code =
          new LongRunning(
                  "ingest",
                  relay,
                  CLOSE_TIMEOUT,
                  Progress.of(served.registry())
                      .count("requests", Metric.HTTP_REQUESTS.meterName())
                      .count("published", Metric.RECORDS_COMMITTED.meterName())
                      .count("dead-lettered", Metric.DEAD_LETTERS.meterName()),
                  out,
                  spec.commandLine().getErr())
              // The server first, so no request is accepted that the relay would not see.
              .beforeClose(s::close)
              .run(() -> false);
      dataSource.close();
      return code;
    } catch (Exception e) {
      shutdown(server, relay, dataSource);
      throw e;
    }
  }

  /** The server first, so no request is accepted that the relay would not see before it stops. */
  private static void shutdown(IngestServer server, OutboxRelay relay, HikariDataSource pool) {
    if (server != null) {
      server.close();
    }
    if (relay != null) {
      relay.close(CLOSE_TIMEOUT);
    }
    pool.close();
  }
}
