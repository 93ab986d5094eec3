package dev.exactly.http;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.jdbc.outbox.OutboxRelay;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The standalone server with its relay in a child JVM, for crash tests. Arguments: JDBC URL, key
 * table, outbox table, bootstrap servers, position topic, topic, {@code FaultPoint} name (or {@code
 * none}), and how many times the point is passed before the process halts on the spot (no shutdown
 * hook, no flush: as a SIGKILL would leave it). Prints {@code LISTENING <port>} when it serves.
 */
public final class IngestChildMain {
  private IngestChildMain() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String crashPoint = args[6];
    int crashAfter = Integer.parseInt(args[7]);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(12);
    HikariDataSource dataSource = new HikariDataSource(config);
    AtomicInteger passes = new AtomicInteger();
    IdempotentIngest ingest =
        IdempotentIngest.builder()
            .dataSource(dataSource)
            .table(args[1])
            .outboxTable(args[2])
            .route("/orders", args[5], "/orderId")
            .requireKey(true)
            .faults(
                point -> {
                  if (point.name().equals(crashPoint) && passes.incrementAndGet() >= crashAfter) {
                    System.out.println("CRASH at " + point.name());
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                  }
                })
            .build();
    ingest.createTablesIfAbsent();
    OutboxRelay relay =
        OutboxRelay.builder()
            .createTopics(true)
            .dataSource(dataSource)
            .kafkaProperties(Map.of("bootstrap.servers", args[3]))
            .table(args[2])
            .positionTopic(args[4])
            .maxIdle(Duration.ofMillis(20))
            .build();
    relay.start();
    IngestServer server = IngestServer.builder().ingest(ingest).port(0).maxThreads(16).build();
    server.start();
    System.out.println("LISTENING " + server.port());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
