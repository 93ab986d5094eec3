package dev.exactly.jdbc.crash;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotencyKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.jdbc.JdbcDedupStore;
import dev.exactly.testkit.CountingHttpServer;
import dev.exactly.testkit.GroupProtocol;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A child JVM running an idempotent consumer whose effect is a POST to a {@link
 * CountingHttpServer}. At the named crash point it prints a marker and freezes, so the parent
 * SIGKILLs it exactly there.
 *
 * <p>Args: bootstrap topic group effectsUri jdbcUrl table relay(true|false) crashPoint(none|
 * after-effect|after-complete|hang) crashAt(n-th occurrence; for hang, the value whose handler
 * hangs before its effect) leaseMillis (0 for the consumer's default) [protocol (a {@link
 * GroupProtocol} value, classic by default) [concurrency (1) maxPollRecords (20) handlerDelayMillis
 * (0) instanceId (crash-child) [dedupBy (key: the record key; value: the record value, for inputs
 * that share a Kafka key)]]]
 */
public final class DedupCrashChild {
  public static final String MARKER = "CRASH-POINT ";
  public static final String STARTED = "CONSUMER-STARTED";

  private DedupCrashChild() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    URI effects = URI.create(args[3]);
    String jdbcUrl = args[4];
    String table = args[5];
    boolean relay = Boolean.parseBoolean(args[6]);
    String crashPoint = args[7];
    int crashAt = Integer.parseInt(args[8]);
    long leaseMillis = Long.parseLong(args[9]);
    GroupProtocol protocol = GroupProtocol.of(args.length > 10 ? args[10] : "classic");
    int concurrency = args.length > 11 ? Integer.parseInt(args[11]) : 1;
    int maxPollRecords = args.length > 12 ? Integer.parseInt(args[12]) : 20;
    long delayMillis = args.length > 13 ? Long.parseLong(args[13]) : 0;
    String instanceId = args.length > 14 ? args[14] : "crash-child";
    boolean dedupByValue = args.length > 15 && args[15].equals("value");
    String hangOn = crashPoint.equals("hang") ? "in-" + crashAt : null;

    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(jdbcUrl);
    hc.setMaximumPoolSize(4);
    HikariDataSource ds = new HikariDataSource(hc);
    JdbcDedupStore store = JdbcDedupStore.builder(ds).table(table).build();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String attempt = "pid-" + ProcessHandle.current().pid();

    AtomicInteger effectsSeen = new AtomicInteger();
    AtomicInteger completesSeen = new AtomicInteger();
    // With concurrency 1 the handler and the fault points run on the consumer's one thread:
    // CONSUMER_AFTER_EFFECT follows the handler run that stored its record's value here.
    AtomicReference<String> lastEffect = new AtomicReference<>();
    FaultInjection faults =
        point -> {
          if (point == FaultPoint.CONSUMER_AFTER_EFFECT
              && crashPoint.equals("after-effect")
              && effectsSeen.incrementAndGet() == crashAt) {
            freeze("after-effect id=" + lastEffect.get());
          } else if (point == FaultPoint.CONSUMER_AFTER_COMPLETE
              && crashPoint.equals("after-complete")
              && completesSeen.incrementAndGet() == crashAt) {
            freeze("after-complete");
          }
        };

    IdempotentConsumer.Builder<String, String> builder =
        IdempotentConsumer.builder(kafkaProperties(bootstrap, protocol, maxPollRecords, instanceId))
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(group)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(
                dedupByValue ? DedupKey.fromValue(String.class, v -> v) : DedupKey.recordKey())
            .store(store)
            .instanceId(instanceId)
            .concurrency(concurrency)
            .faults(faults)
            .handler(
                r -> {
                  if (r.value().equals(hangOn)) {
                    freeze(
                        "hang id="
                            + hangOn
                            + " partition="
                            + r.record().partition()
                            + " offset="
                            + r.record().offset());
                  }
                  if (delayMillis > 0) {
                    Thread.sleep(delayMillis); // a slow remote service
                  }
                  HttpRequest.Builder req =
                      HttpRequest.newBuilder(effects)
                          .timeout(Duration.ofSeconds(10))
                          .header(CountingHttpServer.ATTEMPT_HEADER, attempt)
                          .POST(HttpRequest.BodyPublishers.ofString(r.value()));
                  if (relay) {
                    IdempotencyKey.relay(req, r);
                  }
                  HttpResponse<String> response =
                      http.send(req.build(), HttpResponse.BodyHandlers.ofString());
                  if (response.statusCode() != 200) {
                    throw new IllegalStateException("effect refused: " + response.statusCode());
                  }
                  lastEffect.set(r.value());
                });
    if (leaseMillis > 0) {
      builder.lease(Duration.ofMillis(leaseMillis));
    }
    IdempotentConsumer consumer = builder.build().start();
    System.out.println(STARTED);
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(consumer::close));
    Thread.currentThread().join();
  }

  private static Map<String, Object> kafkaProperties(
      String bootstrap, GroupProtocol protocol, int maxPollRecords, String instanceId) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    props.put("max.poll.records", maxPollRecords);
    // Static membership: a restarted child takes its dead predecessor's place at once (classic)
    // or once the broker has ended the dead one's session (consumer), not after a rebalance.
    props.put("group.instance.id", instanceId);
    protocol.applyTo(props);
    if (protocol.isClassic()) {
      // The consumer protocol refuses these: the broker sets the session.
      props.put("session.timeout.ms", 6000);
      props.put("heartbeat.interval.ms", 1000);
    }
    return props;
  }

  private static void freeze(String where) {
    System.out.println(MARKER + where);
    System.out.flush();
    try {
      Thread.sleep(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
