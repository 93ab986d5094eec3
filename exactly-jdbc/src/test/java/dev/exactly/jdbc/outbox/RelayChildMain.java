package dev.exactly.jdbc.outbox;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * A relay in a child JVM for crash tests. Arguments: JDBC URL, table, bootstrap servers, position
 * topic, {@code FaultPoint} name (or {@code none}), and how many times the point is passed before
 * the process halts on the spot (no shutdown hook, no flush: as a SIGKILL would leave it).
 */
public final class RelayChildMain {
  private RelayChildMain() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String table = args[1];
    String bootstrap = args[2];
    String positionTopic = args[3];
    String crashPoint = args[4];
    int crashAfter = Integer.parseInt(args[5]);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(3);
    HikariDataSource dataSource = new HikariDataSource(config);
    Map<String, Object> kafka = new HashMap<>();
    kafka.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    AtomicInteger passes = new AtomicInteger();
    OutboxRelay relay =
        OutboxRelay.builder()
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .dataSource(dataSource)
            .kafkaProperties(kafka)
            .table(table)
            .positionTopic(positionTopic)
            .batchSize(200)
            .maxIdle(Duration.ofMillis(20))
            .retention(Duration.ZERO)
            .cleanupInterval(Duration.ofMillis(200))
            .cleanupBatchSize(100)
            .faults(
                point -> {
                  if (point.name().equals(crashPoint) && passes.incrementAndGet() >= crashAfter) {
                    System.out.println("CRASH at " + point.name());
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                  }
                })
            .build();
    relay.start();
    System.out.println("RELAY STARTED");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
