package dev.exactly.spring.boot;

import dev.exactly.jdbc.outbox.Outbox;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The outbox for Spring code: {@code write} joins the caller's current Spring transaction (a
 * {@code @Transactional} method, a {@code TransactionTemplate}) on the application's DataSource, so
 * the record is published exactly once if that transaction commits and never if it rolls back.
 *
 * <pre>{@code
 * @Transactional
 * public void placeOrder(Order order) {
 *   orders.save(order);
 *   outbox.write("order-events", order.id(), toJson(order));
 * }
 * }</pre>
 *
 * <p>Thread-safe. Writing outside a transaction is refused: the row would commit on its own, and
 * the business change it announces might not.
 */
public final class SpringOutbox {
  private final Outbox outbox;
  private final DataSource dataSource;

  public SpringOutbox(Outbox outbox, DataSource dataSource) {
    this.outbox = Objects.requireNonNull(outbox, "outbox");
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  /**
   * Inserts one record on the current transaction's connection; see {@link Outbox#write(Connection,
   * String, byte[], byte[], Map)}.
   *
   * @throws IllegalStateException when no Spring transaction is active
   * @throws SQLException from the database; Spring rolls the transaction back when it propagates
   */
  public long write(String topic, byte[] key, byte[] value, Map<String, byte[]> headers)
      throws SQLException {
    Connection connection = transactionalConnection();
    try {
      return outbox.write(connection, topic, key, value, headers);
    } finally {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }

  /** {@link #write(String, byte[], byte[], Map)} for UTF-8 text, without headers. */
  public long write(String topic, String key, String value) throws SQLException {
    return write(topic, key, value, Map.of());
  }

  /** {@link #write(String, byte[], byte[], Map)} for UTF-8 text. */
  public long write(String topic, String key, String value, Map<String, String> headers)
      throws SQLException {
    Connection connection = transactionalConnection();
    try {
      return outbox.write(connection, topic, key, value, headers);
    } finally {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }

  /** The outbox underneath, for code that holds its own connection. */
  public Outbox outbox() {
    return outbox;
  }

  private Connection transactionalConnection() {
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      throw new IllegalStateException(
          "SpringOutbox.write outside a transaction would publish a record whose business change"
              + " may never commit; call it from a @Transactional method or a TransactionTemplate");
    }
    return DataSourceUtils.getConnection(dataSource);
  }
}
