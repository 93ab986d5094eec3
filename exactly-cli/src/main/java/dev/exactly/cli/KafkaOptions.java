package dev.exactly.cli;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --bootstrap-server} and {@code --command-config}: how every command that talks to Kafka
 * reaches it, as Kafka's own tools take them. Use it as a picocli mixin.
 */
final class KafkaOptions {
  @Option(
      names = "--bootstrap-server",
      required = true,
      paramLabel = "HOST:PORT",
      description = "Kafka brokers, host:port")
  String bootstrapServer;

  @Option(
      names = "--command-config",
      paramLabel = "FILE",
      description = "Kafka client properties file (SSL, SASL), passed through untouched")
  Path commandConfig;

  /** The command config's properties plus {@code bootstrap.servers}; a new mutable map. */
  Map<String, Object> clientProperties() {
    Map<String, Object> props = PropertiesFiles.read(commandConfig);
    props.put("bootstrap.servers", bootstrapServer);
    return props;
  }

  /** Properties for an Admin client, failing in seconds on a wrong address. */
  Map<String, Object> adminProperties() {
    return PropertiesFiles.admin(bootstrapServer, commandConfig);
  }
}
