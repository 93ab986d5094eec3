package dev.exactly.testkit;

import dev.exactly.testkit.internal.BrokerMain;
import dev.exactly.testkit.internal.KafkaNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

/**
 * One to three real Kafka brokers, each in its own child JVM, forming one KRaft quorum, so that a
 * test can SIGKILL, SIGTERM and restart a broker while clients run.
 *
 * <p>With three brokers, internal and new topics get replication 3 and min ISR 2, as in production.
 * Node ids are 1 to n. Broker output goes to {@code broker-<id>.log} in {@link #directory()}, never
 * to the console; data stays there until {@link #close()}.
 *
 * <p>Not thread-safe: drive one cluster from one test thread.
 */
public final class KafkaCluster implements AutoCloseable {
  private static final Duration BROKER_START_TIMEOUT = Duration.ofSeconds(60);

  private final Path directory;
  private final Map<Integer, KafkaNode.Spec> specs;
  private final Map<Integer, ChildProcess> processes = new HashMap<>();
  private final List<String> jvmArgs;
  private final Topics topics;
  private Duration startupTime = Duration.ZERO;
  private boolean closed;

  private KafkaCluster(Path directory, Map<Integer, KafkaNode.Spec> specs, List<String> jvmArgs) {
    this.directory = directory;
    this.specs = specs;
    this.jvmArgs = jvmArgs;
    this.topics = new Topics(bootstrapServers());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Every broker's address, comma-separated. */
  public String bootstrapServers() {
    return specs.values().stream()
        .map(KafkaNode.Spec::bootstrapServer)
        .collect(Collectors.joining(","));
  }

  public int size() {
    return specs.size();
  }

  /** The directory holding every broker's data and log. */
  public Path directory() {
    return directory;
  }

  /** The file the broker with this id writes its output to. */
  public Path logFile(int id) {
    return directory.resolve("broker-" + spec(id).nodeId() + ".log");
  }

  /** How long the whole cluster took from launch until every broker registered. */
  public Duration startupTime() {
    return startupTime;
  }

  public boolean isRunning(int id) {
    ChildProcess p = processes.get(spec(id).nodeId());
    return p != null && p.isAlive();
  }

  /** Creates a topic replicated on min(3, size) brokers and waits until every partition leads. */
  public void createTopic(String name, int partitions) {
    topics.create(name, partitions, (short) Math.min(3, size()), Map.of());
  }

  public void createTopic(String name, int partitions, Map<String, String> config) {
    topics.create(name, partitions, (short) Math.min(3, size()), config);
  }

  /** The id of the broker leading a partition now. */
  public int leader(TopicPartition partition) {
    TopicPartitionInfo info =
        topics
            .describe(partition.topic())
            .orElseThrow(() -> new IllegalStateException("topic " + partition.topic() + " unknown"))
            .partitions()
            .get(partition.partition());
    if (info.leader() == null) {
      throw new IllegalStateException(partition + " has no leader now");
    }
    return info.leader().id();
  }

  /** SIGKILL a broker: no shutdown, no flush, as in a power cut of its process. */
  public void kill(int id) {
    ChildProcess p = processes.get(spec(id).nodeId());
    if (p != null) {
      p.kill();
    }
  }

  /** SIGTERM a broker and wait for its orderly shutdown. */
  public void stop(int id) {
    ChildProcess p = processes.get(spec(id).nodeId());
    if (p == null || !p.isAlive()) {
      return;
    }
    p.terminate();
    try {
      p.awaitExit(Duration.ofSeconds(60));
    } catch (TimeoutException e) {
      p.kill();
    }
  }

  /** Freezes a broker with SIGSTOP; {@link #resume(int)} lets it carry on. */
  public void pause(int id) {
    processOf(id).pause();
  }

  public void resume(int id) {
    processOf(id).resume();
  }

  /**
   * Brings a broker back on the same ports and data, stopping it first if it runs, and waits until
   * it serves clients again.
   */
  public void restart(int id) {
    stop(id);
    awaitReady(launch(spec(id)));
  }

  /** Waits until every broker is registered and every partition has its full ISR. */
  public void awaitHealthy() {
    awaitHealthy(Duration.ofSeconds(60));
  }

  public void awaitHealthy(Duration timeout) {
    Topics.awaitUntil(
        timeout,
        () -> topics.liveBrokers() == size() && topics.underReplicated().isEmpty(),
        () ->
            "cluster not healthy: "
                + topics.liveBrokers()
                + "/"
                + size()
                + " brokers live, under-replicated "
                + topics.underReplicated()
                + "; logs in "
                + directory);
  }

  /** Kills every broker and deletes their data; the broker logs stay for a post-mortem. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    topics.close();
    processes.values().forEach(ChildProcess::close);
    specs.values().forEach(s -> TestDirectories.deleteRecursively(s.logDir()));
  }

  private ChildProcess processOf(int id) {
    ChildProcess p = processes.get(spec(id).nodeId());
    if (p == null || !p.isAlive()) {
      throw new IllegalStateException("broker " + id + " is not running");
    }
    return p;
  }

  private KafkaNode.Spec spec(int id) {
    KafkaNode.Spec s = specs.get(id);
    if (s == null) {
      throw new IllegalArgumentException(
          "no broker " + id + "; this cluster has brokers " + specs.keySet());
    }
    return s;
  }

  private ChildProcess launch(KafkaNode.Spec spec) {
    Path specFile = directory.resolve("broker-" + spec.nodeId() + ".properties");
    try {
      BrokerMain.writeSpec(spec, specFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + specFile, e);
    }
    ChildProcess p =
        ChildProcess.builder(BrokerMain.class)
            .name("broker-" + spec.nodeId())
            .jvmArgs(jvmArgs.toArray(String[]::new))
            .systemProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn")
            .args(specFile.toString())
            .output(logFile(spec.nodeId()))
            .start();
    processes.put(spec.nodeId(), p);
    return p;
  }

  private static void awaitReady(ChildProcess p) {
    try {
      p.awaitOutput(KafkaNode.READY_LINE, BROKER_START_TIMEOUT);
    } catch (TimeoutException | IllegalStateException e) {
      p.close();
      throw new BrokerStartException(
          p.name() + " did not start: " + e.getMessage() + "; see " + p.output(), e);
    }
  }

  /** Options for a cluster; nothing starts until {@link #start()}. */
  public static final class Builder {
    private int brokers = 3;
    private final Map<String, String> brokerProperties = new LinkedHashMap<>();
    private final List<String> jvmArgs =
        new ArrayList<>(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xss512k"));

    private Builder() {}

    /** How many brokers, 1 to 3 (default 3). */
    public Builder brokers(int count) {
      if (count < 1 || count > 3) {
        throw new IllegalArgumentException("brokers must be 1 to 3, got " + count);
      }
      this.brokers = count;
      return this;
    }

    public Builder brokerProperty(String key, String value) {
      brokerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, key));
      return this;
    }

    /** JVM options for every broker, added after the testkit's small-heap defaults. */
    public Builder jvmArgs(String... args) {
      jvmArgs.addAll(List.of(args));
      return this;
    }

    /**
     * Launches every broker and waits until all are registered.
     *
     * @throws BrokerStartException naming the broker and its log file
     */
    public KafkaCluster start() {
      long begin = System.nanoTime();
      Path dir = TestDirectories.newDirectory("cluster");
      List<Integer> ports = KafkaNode.freePorts(2 * brokers);
      Map<Integer, Integer> voters = new LinkedHashMap<>();
      for (int i = 0; i < brokers; i++) {
        voters.put(i + 1, ports.get(2 * i + 1));
      }
      String clusterId = Uuid.randomUuid().toString();
      Map<Integer, KafkaNode.Spec> specs = new LinkedHashMap<>();
      for (int i = 0; i < brokers; i++) {
        int id = i + 1;
        specs.put(
            id,
            new KafkaNode.Spec(
                id,
                ports.get(2 * i),
                ports.get(2 * i + 1),
                dir.resolve("data-" + id),
                clusterId,
                voters,
                brokerProperties));
      }
      KafkaCluster cluster = new KafkaCluster(dir, specs, List.copyOf(jvmArgs));
      try {
        // Launch all first: a KRaft quorum of three cannot elect a leader until two are up.
        List<ChildProcess> launched = new ArrayList<>();
        specs.values().forEach(s -> launched.add(cluster.launch(s)));
        launched.forEach(KafkaCluster::awaitReady);
        cluster.topics.awaitBrokers(brokers, BROKER_START_TIMEOUT);
      } catch (RuntimeException e) {
        cluster.close();
        throw e;
      }
      cluster.startupTime = Duration.ofNanos(System.nanoTime() - begin);
      return cluster;
    }
  }
}
