package dev.exactly.http;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.FaultInjection;
import dev.exactly.jdbc.outbox.OutboxRelay;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The standalone server with its relay in a child JVM, for crash tests. Arguments: JDBC URL, key
 * table, outbox table, bootstrap servers, position topic, topic, {@code FaultPoint} name (or {@code
 * none}), and how many times the point is passed before the process halts on the spot (no shutdown
 * hook, no flush: as a SIGKILL would leave it), and optionally {@code producer-then-key} to serve
 * {@link ProducerThenKeyIngest} instead (the negative control). Prints {@code LISTENING <port>}
 * when it serves.
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
    FaultInjection faults =
        point -> {
          if (point.name().equals(crashPoint) && passes.incrementAndGet() >= crashAfter) {
            System.out.println("CRASH at " + point.name());
            System.out.flush();
            Runtime.getRuntime().halt(3);
          }
        };
    IdempotentIngest ingest;
    if (args.length > 8 && args[8].equals("producer-then-key")) {
      Map<String, Object> producer =
          Map.of(
              "bootstrap.servers",
              args[3],
              "enable.idempotence",
              "true",
              "acks",
              "all",
              "key.serializer",
              ByteArraySerializer.class.getName(),
              "value.serializer",
              ByteArraySerializer.class.getName());
      ingest =
          new ProducerThenKeyIngest(
              dataSource, args[1], args[5], new KafkaProducer<>(producer), faults);
      ingest.createTablesIfAbsent();
    } else {
      ingest =
          IdempotentIngest.builder()
              .dataSource(dataSource)
              .table(args[1])
              .outboxTable(args[2])
              .route("/orders", args[5], "/orderId")
              .requireKey(true)
              .faults(faults)
              .build();
      OutboxRelay relay =
          OutboxRelay.builder()
              .createTopics(true)
              .dataSource(dataSource)
              .kafkaProperties(Map.of("bootstrap.servers", args[3]))
              .table(args[2])
              .positionTopic(args[4])
              .maxIdle(Duration.ofMillis(20))
              .build();
      ingest.createTablesIfAbsent();
      relay.start();
    }
    IngestServer server = IngestServer.builder().ingest(ingest).port(0).maxThreads(16).build();
    server.start();
    System.out.println("LISTENING " + server.port());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
