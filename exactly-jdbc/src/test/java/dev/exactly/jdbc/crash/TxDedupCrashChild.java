package dev.exactly.jdbc.crash;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.IdempotentRecord;
import dev.exactly.jdbc.JdbcDedupStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A child JVM running an idempotent consumer whose effect is one row per record in a business table
 * of the dedup store's own PostgreSQL database: in {@code transactional} mode written on the
 * handler's connection, in the transaction that completes the key; in {@code autocommit} mode on a
 * connection of its own, committed at once (the old way). At the named crash point it prints a
 * marker and freezes, so the parent SIGKILLs it exactly there.
 *
 * <p>Args: bootstrap topic group jdbcUrl dedupTable businessTable mode(transactional|autocommit)
 * crashPoint(none|after-effect|after-complete) crashAt(n-th occurrence) leaseMillis
 */
public final class TxDedupCrashChild {
  public static final String MARKER = "CRASH-POINT ";
  public static final String STARTED = "CONSUMER-STARTED";

  private TxDedupCrashChild() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    String jdbcUrl = args[3];
    String dedupTable = args[4];
    String business = args[5];
    boolean transactional = args[6].equals("transactional");
    String crashPoint = args[7];
    int crashAt = Integer.parseInt(args[8]);
    Duration lease = Duration.ofMillis(Long.parseLong(args[9]));

    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(jdbcUrl);
    hc.setMaximumPoolSize(3);
    HikariDataSource ds = new HikariDataSource(hc);
    JdbcDedupStore store = JdbcDedupStore.builder(ds).table(dedupTable).build();

    AtomicInteger effectsSeen = new AtomicInteger();
    AtomicInteger completesSeen = new AtomicInteger();
    // Handler and fault points run on the consumer's one thread: CONSUMER_AFTER_EFFECT follows the
    // handler run that stored its record's value here (inside its transaction, when transactional).
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
            freeze("after-complete id=" + lastEffect.get());
          }
        };

    IdempotentConsumer.Builder<String, String> b =
        IdempotentConsumer.builder(kafkaProperties(bootstrap))
            .createTopics(true)
            .groupId(group)
            .input(topic, new StringDeserializer(), new StringDeserializer())
            .dedupKey(DedupKey.recordKey())
            .store(store)
            .lease(lease)
            .instanceId("tx-crash-child")
            .faults(faults);
    if (transactional) {
      b.transactionalHandler(
          (r, c) -> {
            insert(c, business, r);
            lastEffect.set(r.value());
          });
    } else {
      b.handler(
          r -> {
            try (Connection c = ds.getConnection()) {
              c.setAutoCommit(true);
              insert(c, business, r);
            }
            lastEffect.set(r.value());
          });
    }
    IdempotentConsumer consumer = b.build().start();
    System.out.println(STARTED);
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(consumer::close));
    Thread.currentThread().join();
  }

  private static void insert(Connection c, String business, IdempotentRecord<String, String> r)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO " + business + " (record_key, pid) VALUES (?, ?)")) {
      ps.setString(1, r.key());
      ps.setLong(2, ProcessHandle.current().pid());
      ps.executeUpdate();
    }
  }

  private static Map<String, Object> kafkaProperties(String bootstrap) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    props.put("max.poll.records", 20);
    // Static membership, classic protocol: a restarted child takes its dead predecessor's place
    // at once, not after a rebalance.
    props.put("group.instance.id", "tx-crash-child");
    props.put("session.timeout.ms", 6000);
    props.put("heartbeat.interval.ms", 1000);
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
