package dev.exactly.jdbc.sink;

import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.internal.Metric;
import dev.exactly.testkit.GroupProtocol;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One sink instance in a child JVM, for crash and zombie tests. Arguments are {@code key=value}:
 * bootstrap, topic, group, url, table, offsets, name, batch, and optionally
 *
 * <ul>
 *   <li>{@code protocol=classic|consumer}: the group protocol (the naive mode stays classic);
 *   <li>{@code crash=POINT@n}: the n-th time the engine reaches {@link FaultPoint} POINT (one of
 *       the {@code SINK_*} points), print {@code CRASHPOINT POINT} and freeze, so the test SIGKILLs
 *       the process exactly there;
 *   <li>{@code stall=n}: the n-th handler call prints {@code STALLING} and sleeps 3 s before
 *       writing, so the test can SIGSTOP it mid-batch (a zombie);
 *   <li>{@code poison=id}: the handler refuses the input {@code id} (a non-retriable error), so
 *       this instance dead-letters it;
 *   <li>{@code mode=naive}: no DbSink at all, the common wrong way (insert, commit the database,
 *       then commit offsets to Kafka), as a negative control the checker must catch.
 * </ul>
 */
public final class SinkChild {
  /**
   * Session timeout of every child. A SIGKILLed child stays in the group until its session expires,
   * and the group's next rebalance waits for that: with Kafka's usual 6 s floor that was most of a
   * crash test's run time. 2 s, with a heartbeat every 500 ms, still leaves three missed heartbeats
   * of slack on a busy machine; the broker's floor is lowered for it (testkit).
   */
  static final int SESSION_TIMEOUT_MS = 2000;

  private static final int HEARTBEAT_INTERVAL_MS = 500;

  private SinkChild() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    String name = a.get("name") + "-" + ProcessHandle.current().pid();
    if ("naive".equals(a.get("mode"))) {
      naive(a, name);
      return;
    }
    FaultInjection faults = FaultInjection.NONE;
    if (a.containsKey("crash")) {
      String[] spec = a.get("crash").split("@");
      FaultPoint target = FaultPoint.valueOf(spec[0]);
      int nth = Integer.parseInt(spec[1]);
      AtomicInteger seen = new AtomicInteger();
      faults =
          point -> {
            if (point == target && seen.incrementAndGet() == nth) {
              freeze("CRASHPOINT " + point);
            }
          };
    }
    int stallAt = Integer.parseInt(a.getOrDefault("stall", "0"));
    String poison = a.get("poison");
    AtomicInteger calls = new AtomicInteger();
    String table = a.get("table");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DbSink<String, String> sink =
        DbSink.<String, String>builder()
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .kafkaProperties(kafkaProperties(a))
            .groupId(a.get("group"))
            .topics(a.get("topic"))
            .deserializers(new StringDeserializer(), new StringDeserializer())
            .jdbcUrl(a.get("url"))
            .offsetTable(a.get("offsets"))
            .maxBatchRecords(Integer.parseInt(a.getOrDefault("batch", "200")))
            .meterRegistry(registry)
            .faults(faults)
            .instanceId(a.get("name"))
            .handler(
                (records, connection) -> {
                  if (calls.incrementAndGet() == stallAt) {
                    System.out.println("STALLING with " + records.size() + " records");
                    System.out.flush();
                    // Long enough for the test to SIGSTOP it here. The pause then lasts about
                    // as long (a successor's start plus the 2 s session), so the zombie writes
                    // and commits right after it is resumed, not seconds later.
                    Thread.sleep(3000);
                  }
                  for (ConsumerRecord<String, String> r : records) {
                    if (r.key().equals(poison)) {
                      throw new IllegalArgumentException("input " + poison + " refused here");
                    }
                  }
                  SinkFixtures.insert(connection, table, name, records);
                })
            .build();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> sink.close(Duration.ofSeconds(10))));
    sink.start();
    System.out.println("STARTED " + name);
    while (true) {
      Thread.sleep(1000);
      System.out.println(
          "METRICS fenced="
              + (long) registry.get(Metric.FENCED_COMMITS.meterName()).counter().count()
              + " records="
              + (long) registry.get(Metric.RECORDS_COMMITTED.meterName()).counter().count()
              + " state="
              + sink.state());
    }
  }

  /**
   * bootstrap and {@code protocol} (a {@link GroupProtocol} value, classic by default); the short
   * session under classic only, as the consumer protocol refuses it (the broker's applies).
   */
  private static Map<String, Object> kafkaProperties(Map<String, String> a) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", a.get("bootstrap"));
    GroupProtocol protocol = GroupProtocol.of(a.getOrDefault("protocol", "classic"));
    protocol.applyTo(props);
    if (protocol.isClassic()) {
      props.put("session.timeout.ms", SESSION_TIMEOUT_MS);
      props.put("heartbeat.interval.ms", HEARTBEAT_INTERVAL_MS);
    }
    return props;
  }

  private static void freeze(String line) {
    System.out.println(line);
    System.out.flush();
    while (true) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        // frozen until SIGKILL
      }
    }
  }

  /** The negative control: database commit, then Kafka commit, two systems, no fencing. */
  private static void naive(Map<String, String> a, String name) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", a.get("bootstrap"));
    p.put("group.id", a.get("group"));
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    p.put("session.timeout.ms", Integer.toString(SESSION_TIMEOUT_MS));
    p.put("heartbeat.interval.ms", Integer.toString(HEARTBEAT_INTERVAL_MS));
    p.put("max.poll.records", a.getOrDefault("batch", "200"));
    String[] crash = a.getOrDefault("crash", "NONE@0").split("@");
    int crashAt = Integer.parseInt(crash[1]);
    int batches = 0;
    try (KafkaConsumer<String, String> consumer =
            new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        Connection c = DriverManager.getConnection(a.get("url"))) {
      consumer.subscribe(List.of(a.get("topic")));
      System.out.println("STARTED " + name);
      while (true) {
        ConsumerRecords<String, String> polled = consumer.poll(Duration.ofMillis(500));
        if (polled.isEmpty()) {
          continue;
        }
        c.setAutoCommit(false);
        List<ConsumerRecord<String, String>> records = new java.util.ArrayList<>();
        polled.forEach(records::add);
        SinkFixtures.insert(c, a.get("table"), name, records);
        c.commit();
        if (++batches == crashAt) {
          freeze("CRASHPOINT " + FaultPoint.SINK_AFTER_DB_COMMIT);
        }
        consumer.commitSync();
      }
    }
  }
}
