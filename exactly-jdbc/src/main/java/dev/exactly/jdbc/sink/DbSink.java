package dev.exactly.jdbc.sink;

import dev.exactly.Component;
import dev.exactly.ComponentState;
import java.time.Duration;
import java.util.Optional;

/**
 * Consumes Kafka topics into a relational database effectively once: each poll batch's rows and the
 * partitions' next offsets commit in one database transaction, so a crash anywhere leaves either
 * both or neither.
 *
 * <p>The database, not Kafka, holds the position: on assignment the sink seeks each partition to
 * the offset in its offset table. Each assignment also bumps the partition's epoch there, and a
 * batch commits only where the epoch it was assigned under is still current, so an instance that
 * lost a partition (paused, partitioned from the group, slow) can never apply a batch after another
 * instance took over. Offsets are also committed to Kafka after the database commit, for lag
 * monitoring only.
 *
 * <p>Threading: one engine thread per sink owns the consumer and calls the {@link BatchHandler};
 * {@link #start}, {@link #close} and {@link #state} may be called from any thread.
 *
 * <pre>{@code
 * DbSink<String, String> sink = DbSink.<String, String>builder()
 *     .kafkaProperties(Map.of("bootstrap.servers", "localhost:9092"))
 *     .groupId("orders-to-db")
 *     .topics("orders")
 *     .deserializers(new StringDeserializer(), new StringDeserializer())
 *     .dataSource(dataSource)
 *     .handler((records, connection) -> Upserts.insertIfAbsent(connection, "processed_orders",
 *         List.of("order_id", "payload"), List.of("order_id"),
 *         records.stream().map(r -> List.<Object>of(r.key(), r.value())).toList()))
 *     .build();
 * sink.start();
 * }</pre>
 *
 * @param <K> the record key type
 * @param <V> the record value type
 */
public interface DbSink<K, V> extends Component {

  /** A builder; every setting is checked in {@link DbSinkBuilder#build()}. */
  static <K, V> DbSinkBuilder<K, V> builder() {
    return new DbSinkBuilder<>();
  }

  /**
   * Creates the offset table if asked to, then starts the engine thread, which joins the consumer
   * group and starts polling.
   *
   * @throws IllegalStateException when the sink was started or closed before, or when the database
   *     cannot be reached or the offset table cannot be created; the sink is then {@link
   *     ComponentState#FAILED} and {@link #failure()} holds the cause
   */
  void start();

  /**
   * Stops polling, lets the batch in flight commit or roll back, leaves the group and releases the
   * consumer, the dead-letter producer and any pool the sink built itself (a {@code DataSource}
   * given by the user stays open). Idempotent.
   *
   * @param timeout how long to wait for the engine thread; the clients are closed within it
   * @return whether everything stopped within {@code timeout}
   */
  boolean close(Duration timeout);

  /**
   * {@code CREATED}, {@code STARTING}, {@code RUNNING}, {@code CLOSING}, {@code CLOSED}, or {@code
   * FAILED} when the engine stopped on an error it cannot get past (no batch is in flight; close
   * the sink and start a new one). A fenced commit is resolved per partition and never stops the
   * sink, so it is never {@code FENCED}.
   */
  ComponentState state();

  /** The error that stopped the engine, when {@link #state()} is {@link ComponentState#FAILED}. */
  Optional<Throwable> failure();
}
