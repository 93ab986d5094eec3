package dev.exactly.cli;

import dev.exactly.testkit.EmbeddedKafka;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs one real Kafka broker on loopback until Ctrl-C, for trying Exactly without a Kafka install.
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    header = "Start one Kafka broker on 127.0.0.1 for local work.",
    description = {
      "Start one Apache Kafka broker (KRaft, in this JVM) on 127.0.0.1 and print its address.",
      "Stops on Ctrl-C. With --data the broker keeps its topics across runs."
    })
final class BrokerCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--port",
      paramLabel = "N",
      description = "Client port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 picks a free one).",
      defaultValue = "9092")
  int port;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      description =
          "Partitions of every topic the broker creates by itself (num.partitions; default:"
              + " ${DEFAULT-VALUE}).",
      defaultValue = "1")
  int partitions;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Directory to keep data and the broker log in (default: a temporary one).")
  Path data;

  /** Counted down when the broker should stop; tests use it instead of Ctrl-C. */
  final CountDownLatch stop = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "Invalid value for option '--port': " + port + " is not a TCP port (0 to 65535)");
    }
    if (partitions < 1 || partitions > 10_000) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "Invalid value for option '--partitions': " + partitions + " (1 to 10000)");
    }
    boolean temporary = data == null;
    Path home = temporary ? Files.createTempDirectory("exactly-broker-") : data.toAbsolutePath();
    Path log = home.resolve("broker.log");
    prepare(home);
    // slf4j-simple reads this when the first logger is made, which is inside the broker start.
    System.setProperty("org.slf4j.simpleLogger.logFile", log.toString());
    System.setProperty("org.slf4j.simpleLogger.log.kafka", "info");
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "info");
    EmbeddedKafka kafka;
    try {
      kafka =
          EmbeddedKafka.builder()
              .port(port)
              .dataDirectory(home.resolve("kafka"))
              .brokerProperty("num.partitions", Integer.toString(partitions))
              .start();
    } catch (RuntimeException e) {
      throw new IllegalStateException(e.getMessage() + " (broker log: " + log + ")", e);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "Kafka broker ready at %s (started in %d ms)%n",
        kafka.bootstrapServers(), kafka.startupTime().toMillis());
    out.printf("  data: %s%s%n", home, temporary ? " (deleted on exit)" : "");
    out.printf("  log:  %s%n", log);
    out.println("Press Ctrl-C to stop.");
    out.flush();
    Thread hook =
        new Thread(
            () -> {
              stop.countDown();
              shutdown(kafka, home, temporary);
            },
            "exactly-broker-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    stop.await();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      return 0; // Ctrl-C: the hook stops the broker
    }
    shutdown(kafka, home, temporary);
    return 0;
  }

  private static void prepare(Path home) {
    try {
      Files.createDirectories(home);
    } catch (IOException e) {
      throw new IllegalStateException(
          "data directory " + home + " cannot be created (" + e + "); choose another with --data");
    }
    if (!Files.isWritable(home)) {
      throw new IllegalStateException(
          "data directory " + home + " is not writable; choose another with --data");
    }
  }

  private static void shutdown(EmbeddedKafka kafka, Path home, boolean temporary) {
    kafka.close();
    if (temporary) {
      dev.exactly.testkit.TestDirectories.deleteRecursively(home);
    }
  }
}
