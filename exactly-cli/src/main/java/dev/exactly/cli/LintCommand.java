package dev.exactly.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exactly.lint.ConfigLint;
import dev.exactly.lint.Finding;
import dev.exactly.lint.LintReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code exactly lint}: which guarantee a configuration gives, and every finding with its fix. Exit
 * 1 when a finding is an error, 0 otherwise.
 */
@Command(
    name = "lint",
    mixinStandardHelpOptions = true,
    header = "Check Kafka configs for what breaks exactly-once.",
    description = {
      "Reads producer, consumer, Kafka Streams and broker properties files, and with"
          + " --bootstrap-server the cluster's own broker configuration and feature levels, and"
          + " says which guarantee they give and every setting that weakens it.",
      "Exit status: 0 without errors (warnings allowed), 1 with errors, 2 bad usage."
    })
final class LintCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--producer", paramLabel = "FILE", description = "Producer properties")
  Path producer;

  @Option(names = "--consumer", paramLabel = "FILE", description = "Consumer properties")
  Path consumer;

  @Option(names = "--streams", paramLabel = "FILE", description = "Kafka Streams properties")
  Path streams;

  @Option(names = "--broker", paramLabel = "FILE", description = "Broker server.properties")
  Path broker;

  @Option(
      names = "--bootstrap-server",
      paramLabel = "HOST:PORT",
      description = "Read the broker configuration and feature levels from this cluster")
  String bootstrapServer;

  @Option(
      names = "--command-config",
      paramLabel = "FILE",
      description = "Admin client properties (SSL, SASL) for --bootstrap-server")
  Path commandConfig;

  @Option(
      names = "--idle-gap",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "1d",
      description = "Longest gap between a producer's transactions (default: ${DEFAULT-VALUE})")
  Duration idleGap;

  @Option(names = "--json", description = "Print the report as JSON")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (producer == null
        && consumer == null
        && streams == null
        && broker == null
        && bootstrapServer == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "Give at least one of --producer, --consumer, --streams, --broker, --bootstrap-server");
    }
    if (commandConfig != null && bootstrapServer == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--command-config needs --bootstrap-server");
    }
    ConfigLint.Builder lint = ConfigLint.builder().idleGap(idleGap);
    if (producer != null) {
      lint.producer(PropertiesFiles.read(producer));
    }
    if (consumer != null) {
      lint.consumer(PropertiesFiles.read(consumer));
    }
    if (streams != null) {
      lint.streams(PropertiesFiles.read(streams));
    }
    Map<String, Object> brokerConfig = broker == null ? null : PropertiesFiles.read(broker);
    ClusterFacts cluster = null;
    if (bootstrapServer != null) {
      try (Admin admin = Admin.create(PropertiesFiles.admin(bootstrapServer, commandConfig))) {
        cluster = ClusterFacts.read(admin);
      }
      lint.features(cluster.features());
      if (brokerConfig == null) {
        brokerConfig = Map.copyOf(cluster.brokerConfig());
      }
    }
    if (brokerConfig != null) {
      lint.broker(brokerConfig);
    }
    LintReport report = lint.build().run();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(json(report, cluster));
    } else {
      printTable(out, report, cluster);
    }
    out.flush();
    return report.hasErrors() ? 1 : 0;
  }

  private static String json(LintReport report, ClusterFacts cluster) throws Exception {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("guarantee", report.guarantee().label());
    root.put("errors", report.errors().size());
    if (cluster != null) {
      ObjectNode c = root.putObject("cluster");
      c.put("brokers", cluster.brokers());
      c.put("describedBroker", cluster.brokerId());
      ObjectNode f = c.putObject("features");
      cluster.features().forEach(f::put);
    }
    ArrayNode findings = root.putArray("findings");
    for (Finding finding : report.findings()) {
      ObjectNode n = findings.addObject();
      n.put("severity", finding.severity().name());
      n.put("source", finding.source());
      n.put("key", finding.key());
      n.put("value", finding.value());
      n.put("why", finding.why());
      n.put("fix", finding.fix());
      n.put("reference", finding.reference());
      n.put("limit", finding.limit().label());
    }
    return mapper.writeValueAsString(root);
  }

  private static void printTable(PrintWriter out, LintReport report, ClusterFacts cluster) {
    out.printf("guarantee: %s%n", report.guarantee().label());
    if (cluster != null) {
      out.printf(
          "cluster: %d broker(s), configuration of broker %d, features %s%n",
          cluster.brokers(), cluster.brokerId(), new java.util.TreeMap<>(cluster.features()));
    }
    if (report.findings().isEmpty()) {
      out.println("no findings");
      return;
    }
    int keyWidth = 10;
    for (Finding f : report.findings()) {
      keyWidth = Math.max(keyWidth, f.key().length() + f.source().length() + 1);
    }
    out.printf("%n%-5s  %-" + keyWidth + "s  %s%n", "LEVEL", "SOURCE/KEY", "VALUE");
    for (Finding f : report.findings()) {
      out.printf(
          "%-5s  %-" + keyWidth + "s  %s%n", f.severity(), f.source() + "/" + f.key(), f.value());
      out.printf("       why: %s%n", f.why());
      out.printf("       fix: %s%n", f.fix());
      out.printf("       see: %s%n", f.reference());
    }
    long errors = report.errors().size();
    long warnings =
        report.findings().stream()
            .filter(f -> f.severity() == dev.exactly.lint.Severity.WARN)
            .count();
    out.printf("%n%d error(s), %d warning(s)%n", errors, warnings);
  }
}
