package dev.exactly.testkit;

import dev.exactly.testkit.internal.KafkaNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * One real Apache Kafka broker in KRaft combined mode, running in this JVM on loopback.
 *
 * <p>Settings fit a single broker (replication 1 for internal topics, no initial rebalance delay).
 * Data goes to a new directory under {@code target/} that {@link #close()} deletes, unless a data
 * directory was given, which is kept so a later start resumes from it.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *   kafka.createTopic("orders", 6);
 *   props.put("bootstrap.servers", kafka.bootstrapServers());
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final KafkaNode node;
  private final boolean deleteOnClose;
  private final Topics topics;
  private Duration startupTime = Duration.ZERO;
  private boolean closed;

  private EmbeddedKafka(KafkaNode node, boolean deleteOnClose) {
    this.node = node;
    this.deleteOnClose = deleteOnClose;
    this.topics = new Topics(bootstrapServers());
  }

  /** Starts a broker on free ports with a temporary data directory. */
  public static EmbeddedKafka start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code 127.0.0.1:port}, ready for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return node.spec().bootstrapServer();
  }

  /** Client properties that reach this broker: only {@code bootstrap.servers}. */
  public Map<String, Object> clientProperties() {
    Map<String, Object> props = new HashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return props;
  }

  /** Creates a topic with replication 1 and waits until it is usable. */
  public void createTopic(String name, int partitions) {
    topics.create(name, partitions, (short) 1, Map.of());
  }

  /** Creates a topic with topic-level configuration, for example compaction. */
  public void createTopic(String name, int partitions, Map<String, String> config) {
    topics.create(name, partitions, (short) 1, config);
  }

  /** The directory holding the broker's data. */
  public Path dataDirectory() {
    return node.spec().logDir();
  }

  /** How long format, start-up and the first metadata answer took. */
  public Duration startupTime() {
    return startupTime;
  }

  /** Stops the broker and, for a temporary data directory, deletes its files. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      topics.close();
      node.shutdown();
    } finally {
      if (deleteOnClose) {
        TestDirectories.deleteRecursively(node.spec().logDir());
      }
    }
  }

  /** Options for one embedded broker. */
  public static final class Builder {
    private int port;
    private Path dataDirectory;
    private final Map<String, String> brokerProperties = new HashMap<>();

    private Builder() {}

    /** The client port; 0 (the default) picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is not a TCP port; use 0 to 65535");
      }
      this.port = port;
      return this;
    }

    /** A data directory to keep across starts; by default a temporary one deleted on close. */
    public Builder dataDirectory(Path dir) {
      this.dataDirectory = Objects.requireNonNull(dir, "dataDirectory");
      return this;
    }

    /** A broker setting that overrides the testkit's defaults. */
    public Builder brokerProperty(String key, String value) {
      brokerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, key));
      return this;
    }

    /**
     * Formats the data directory if needed, starts the broker and waits until it answers.
     *
     * @throws BrokerStartException naming the cause (port taken, directory not writable)
     */
    public EmbeddedKafka start() {
      long begin = System.nanoTime();
      List<Integer> ports = KafkaNode.freePorts(2);
      int brokerPort = port != 0 ? port : ports.get(0);
      int controllerPort = ports.get(1);
      boolean temporary = dataDirectory == null;
      Path dir = temporary ? TestDirectories.newDirectory("kafka") : dataDirectory;
      KafkaNode node =
          new KafkaNode(
              new KafkaNode.Spec(
                  1,
                  brokerPort,
                  controllerPort,
                  dir,
                  Uuid.randomUuid().toString(),
                  Map.of(1, controllerPort),
                  brokerProperties));
      try {
        node.start();
      } catch (RuntimeException e) {
        if (temporary) {
          TestDirectories.deleteRecursively(dir);
        }
        throw e;
      }
      EmbeddedKafka kafka = new EmbeddedKafka(node, temporary);
      try {
        kafka.topics.awaitBrokers(1, Duration.ofSeconds(30));
      } catch (RuntimeException e) {
        kafka.close();
        throw e;
      }
      kafka.startupTime = Duration.ofNanos(System.nanoTime() - begin);
      return kafka;
    }
  }
}
