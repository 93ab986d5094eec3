package dev.exactly.jdbc.sink;

import java.sql.Connection;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The user's write: turns a batch of records into rows, on a connection whose transaction the sink
 * owns.
 *
 * <p>Contract: called on the sink's single engine thread, never concurrently. The connection has
 * auto-commit off and a transaction open; the sink commits it together with the consumed offsets,
 * or rolls it back. The handler must not commit, roll back, close the connection or change its
 * auto-commit mode, and must not keep it after returning. Records of one partition come in offset
 * order. The same record may be handed over again after a rollback (retry, bisection, rebalance),
 * but its rows are committed at most once: write only through {@code connection}.
 *
 * <p>Throw to refuse the batch. An exception the database classifies as transient (lost connection,
 * deadlock, serialization failure) retries the whole batch with backoff; any other exception makes
 * the sink bisect the batch to find the record at fault, which goes to the dead-letter topic while
 * the rest still commit.
 *
 * @param <K> the record key type
 * @param <V> the record value type
 */
@FunctionalInterface
public interface BatchHandler<K, V> {

  /**
   * Writes {@code records} through {@code connection}.
   *
   * @param records one or more records, unmodifiable
   * @param connection borrowed for the call, inside the sink's transaction
   * @throws Exception to roll the batch back (see the class comment for what happens next)
   */
  void handle(List<ConsumerRecord<K, V>> records, Connection connection) throws Exception;
}
