package dev.exactly.testkit.internal;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Main class of a child-JVM broker. Its one argument is a properties file holding the node spec
 * (see {@link #writeSpec}); it prints {@link KafkaNode#READY_LINE} once it serves clients and shuts
 * down in order on SIGTERM.
 */
public final class BrokerMain {
  private BrokerMain() {}

  public static void main(String[] args) throws IOException {
    KafkaNode node = new KafkaNode(readSpec(Path.of(args[0])));
    Runtime.getRuntime().addShutdownHook(new Thread(node::shutdown, "exactly-broker-shutdown"));
    node.start();
    System.out.println(KafkaNode.READY_LINE + " " + node.spec().nodeId());
    System.out.flush();
  }

  public static void writeSpec(KafkaNode.Spec spec, Path file) throws IOException {
    Properties p = new Properties();
    p.setProperty("nodeId", Integer.toString(spec.nodeId()));
    p.setProperty("brokerPort", Integer.toString(spec.brokerPort()));
    p.setProperty("controllerPort", Integer.toString(spec.controllerPort()));
    p.setProperty("logDir", spec.logDir().toAbsolutePath().toString());
    p.setProperty("clusterId", spec.clusterId());
    spec.voters().forEach((id, port) -> p.setProperty("voter." + id, Integer.toString(port)));
    spec.overrides().forEach((k, v) -> p.setProperty("override." + k, v));
    try (var out = Files.newBufferedWriter(file)) {
      p.store(out, "exactly child broker");
    }
  }

  static KafkaNode.Spec readSpec(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      p.load(in);
    }
    Map<Integer, Integer> voters = new HashMap<>();
    Map<String, String> overrides = new HashMap<>();
    for (String name : p.stringPropertyNames()) {
      if (name.startsWith("voter.")) {
        voters.put(
            Integer.parseInt(name.substring("voter.".length())),
            Integer.parseInt(p.getProperty(name)));
      } else if (name.startsWith("override.")) {
        overrides.put(name.substring("override.".length()), p.getProperty(name));
      }
    }
    return new KafkaNode.Spec(
        Integer.parseInt(p.getProperty("nodeId")),
        Integer.parseInt(p.getProperty("brokerPort")),
        Integer.parseInt(p.getProperty("controllerPort")),
        Path.of(p.getProperty("logDir")),
        p.getProperty("clusterId"),
        voters,
        overrides);
  }
}
