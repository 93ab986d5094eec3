package dev.exactly.testkit.internal;

import dev.exactly.testkit.BrokerStartException;
import dev.exactly.testkit.GroupProtocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.utils.Time;

/**
 * One KRaft node in combined mode (broker and controller), the single code path behind both the
 * in-process {@code EmbeddedKafka} and each child-JVM broker of a {@code KafkaCluster}.
 *
 * <p>Not API: the testkit's public types wrap it.
 */
public final class KafkaNode {

  /** Line a child broker prints to its output once it serves clients. */
  public static final String READY_LINE = "EXACTLY-BROKER-READY";

  private final Spec spec;
  private KafkaRaftServer server;

  public KafkaNode(Spec spec) {
    this.spec = spec;
  }

  /**
   * Settings for one node. {@code voters} holds every node of the quorum, this one included, so
   * that a static quorum needs no extra format flags.
   */
  public record Spec(
      int nodeId,
      int brokerPort,
      int controllerPort,
      Path logDir,
      String clusterId,
      Map<Integer, Integer> voters,
      Map<String, String> overrides) {

    public Spec {
      voters = Map.copyOf(voters);
      overrides = Map.copyOf(overrides);
    }

    public String bootstrapServer() {
      return "127.0.0.1:" + brokerPort;
    }

    /** The broker configuration, tuned for a small test machine; overrides win. */
    public Properties toProperties() {
      int size = voters.size();
      int replication = Math.min(3, size);
      int minIsr = size >= 3 ? 2 : 1;
      Map<String, String> p = new TreeMap<>();
      p.put("process.roles", "broker,controller");
      p.put("node.id", Integer.toString(nodeId));
      p.put(
          "controller.quorum.voters",
          new TreeMap<>(voters)
              .entrySet().stream()
                  .map(e -> e.getKey() + "@127.0.0.1:" + e.getValue())
                  .collect(Collectors.joining(",")));
      p.put(
          "listeners",
          "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
      p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
      p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      p.put("controller.listener.names", "CONTROLLER");
      p.put("inter.broker.listener.name", "PLAINTEXT");
      p.put("log.dirs", logDir.toAbsolutePath().toString());
      p.put("offsets.topic.replication.factor", Integer.toString(replication));
      p.put("offsets.topic.num.partitions", "10");
      p.put("transaction.state.log.replication.factor", Integer.toString(replication));
      p.put("transaction.state.log.min.isr", Integer.toString(minIsr));
      p.put("transaction.state.log.num.partitions", "10");
      p.put("share.coordinator.state.topic.replication.factor", Integer.toString(replication));
      p.put("share.coordinator.state.topic.min.isr", Integer.toString(minIsr));
      p.put("default.replication.factor", Integer.toString(replication));
      p.put("min.insync.replicas", Integer.toString(minIsr));
      // A group's first join otherwise waits 3 s for more members.
      p.put("group.initial.rebalance.delay.ms", "0");
      // The 6 s default floor would make every crash test wait 6 s per SIGKILLed group member
      // before the group moves on; a test may choose a shorter session (clients' default stays).
      p.put("group.min.session.timeout.ms", "1000");
      // Under KIP-848's consumer protocol the broker sets the session: a restarted static member
      // waits out its killed predecessor's, 45 s by default; 10 s keeps such tests short.
      p.put(
          "group.consumer.session.timeout.ms",
          Long.toString(GroupProtocol.CONSUMER_SESSION_TIMEOUT.toMillis()));
      p.put("group.consumer.min.session.timeout.ms", "1000");
      p.put("group.consumer.heartbeat.interval.ms", "1000");
      p.put("group.consumer.min.heartbeat.interval.ms", "500");
      // The 128 MiB default cleaner buffer is allocated at start and costs RSS for nothing here.
      p.put("log.cleaner.dedupe.buffer.size", "2097152");
      // A SIGKILLed broker is refused on restart until its old session expires: keep that short.
      p.put("broker.session.timeout.ms", "3000");
      p.put("broker.heartbeat.interval.ms", "500");
      p.put("num.network.threads", "2");
      p.put("num.io.threads", "4");
      p.put("num.recovery.threads.per.data.dir", "1");
      p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
      p.putAll(overrides);
      Properties props = new Properties();
      props.putAll(p);
      return props;
    }
  }

  public Spec spec() {
    return spec;
  }

  /** Formats the log directory unless it already holds this cluster's metadata. */
  public void formatIfNeeded() {
    Path meta = spec.logDir().resolve("meta.properties");
    if (Files.exists(meta)) {
      return;
    }
    try {
      Files.createDirectories(spec.logDir());
      if (!Files.isWritable(spec.logDir())) {
        throw new BrokerStartException(
            "data directory " + spec.logDir() + " is not writable; choose another directory");
      }
      Path config = Files.createTempFile(spec.logDir(), "format-", ".properties");
      try (var out = Files.newBufferedWriter(config)) {
        spec.toProperties().store(out, "format");
      }
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      int code;
      try (PrintStream print = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
        code =
            StorageTool.execute(
                new String[] {"format", "-t", spec.clusterId(), "-c", config.toString()}, print);
      } finally {
        Files.deleteIfExists(config);
      }
      if (code != 0) {
        throw new BrokerStartException(
            "formatting "
                + spec.logDir()
                + " failed (exit "
                + code
                + "): "
                + buffer.toString(StandardCharsets.UTF_8).trim());
      }
    } catch (IOException e) {
      throw new BrokerStartException(
          "data directory " + spec.logDir() + " is not usable: " + e.getMessage(), e);
    }
  }

  /** Formats if needed and starts serving; returns once the broker is unfenced. */
  public void start() {
    checkPortFree(spec.brokerPort(), "broker");
    checkPortFree(spec.controllerPort(), "controller");
    formatIfNeeded();
    KafkaRaftServer s =
        new KafkaRaftServer(KafkaConfig.fromProps(spec.toProperties()), Time.SYSTEM);
    try {
      s.startup();
    } catch (RuntimeException e) {
      try {
        s.shutdown();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new BrokerStartException(
          "broker " + spec.nodeId() + " failed to start: " + e.getMessage(), e);
    }
    server = s;
  }

  /** Orderly shutdown: waits for the broker and controller to stop. Safe to call twice. */
  public void shutdown() {
    KafkaRaftServer s = server;
    server = null;
    if (s != null) {
      s.shutdown();
      s.awaitShutdown();
    }
  }

  private static void checkPortFree(int port, String role) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress("127.0.0.1", port));
    } catch (IOException e) {
      throw new BrokerStartException(
          role
              + " port "
              + port
              + " on 127.0.0.1 is taken ("
              + e.getMessage()
              + "); stop whatever holds it or choose another port");
    }
  }

  /** Free loopback ports, chosen by the OS; each is free at the time of the call. */
  public static List<Integer> freePorts(int count) {
    ServerSocket[] sockets = new ServerSocket[count];
    try {
      for (int i = 0; i < count; i++) {
        sockets[i] = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
      }
      return java.util.Arrays.stream(sockets).map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) {
          try {
            s.close();
          } catch (IOException ignored) {
            // closing a probe socket cannot lose anything
          }
        }
      }
    }
  }
}
