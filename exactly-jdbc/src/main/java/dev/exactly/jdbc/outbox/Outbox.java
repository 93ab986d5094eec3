package dev.exactly.jdbc.outbox;

import dev.exactly.Ticker;
import dev.exactly.jdbc.Database;
import dev.exactly.jdbc.internal.Dialect;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Writes records to be published to Kafka into an outbox table, inside the caller's own database
 * transaction: when that transaction commits, an {@link OutboxRelay} publishes the records exactly
 * once; when it rolls back, they are never published.
 *
 * <pre>{@code
 * Outbox outbox = Outbox.builder().table("orders_outbox").build();
 * connection.setAutoCommit(false);
 * // ... the business change ...
 * outbox.write(connection, "order-events", orderId, json, Map.of("type", "created"));
 * connection.commit();
 * }</pre>
 *
 * <p>The connection is the caller's: {@code write} never commits, rolls back or closes it, so a
 * connection bound to a transaction by Spring or another framework works the same way. For the
 * order of one key's records to be their commit order, write the outbox row after taking the lock
 * that serializes that key's changes (for example after updating the aggregate's row).
 *
 * <p>Thread-safe; one instance may serve any number of threads and connections.
 */
public interface Outbox {

  /** The header every published record carries: the row's id, as decimal text. */
  String ID_HEADER = "exactly-id";

  static Builder builder() {
    return new Builder();
  }

  /**
   * Inserts one record into the outbox on {@code connection}, in its current transaction.
   *
   * @param topic a legal Kafka topic name
   * @param key the record key, or null; records of one key are published in order
   * @param value the record value, or null (a tombstone)
   * @param headers user headers, in iteration order; {@value #ID_HEADER} is reserved
   * @return the row's id, which the published record carries in {@value #ID_HEADER}
   * @throws IllegalArgumentException for a bad topic name or a reserved header
   * @throws SQLException from the database; the caller decides whether to roll back
   */
  long write(
      Connection connection, String topic, byte[] key, byte[] value, Map<String, byte[]> headers)
      throws SQLException;

  /** {@link #write(Connection, String, byte[], byte[], Map)} without headers. */
  default long write(Connection connection, String topic, byte[] key, byte[] value)
      throws SQLException {
    return write(connection, topic, key, value, Map.of());
  }

  /**
   * {@link #write(Connection, String, byte[], byte[], Map)} for text: the key, the value and each
   * header value as UTF-8 (null stays null, a tombstone for the value). Pass {@code (String) null}
   * for an absent key and value together.
   */
  default long write(
      Connection connection, String topic, String key, String value, Map<String, String> headers)
      throws SQLException {
    Map<String, byte[]> bytes = new LinkedHashMap<>();
    Objects.requireNonNull(headers, "headers").forEach((k, v) -> bytes.put(k, utf8(v)));
    return write(connection, topic, utf8(key), utf8(value), bytes);
  }

  /** {@link #write(Connection, String, String, String, Map)} without headers. */
  default long write(Connection connection, String topic, String key, String value)
      throws SQLException {
    return write(connection, topic, key, value, Map.of());
  }

  private static byte[] utf8(String text) {
    return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Wakes the relay when the current transaction on {@code connection} commits, where the database
   * can (PostgreSQL NOTIFY; elsewhere nothing). For a writer built with {@code notifyRelay(false)}
   * that writes many rows per transaction: one call per transaction instead of one per row.
   */
  void notifyRelay(Connection connection) throws SQLException;

  /** The outbox table's name. */
  String table();

  /**
   * Creates the outbox table when absent. Run it outside a business transaction: DDL commits
   * implicitly on MariaDB. The same DDL ships as {@code db/exactly/outbox-<database>.sql} for
   * migration tools.
   */
  void createTableIfAbsent(Connection connection) throws SQLException;

  /** Settings of an {@link Outbox}; checked in {@link #build()}. */
  final class Builder {
    private String table = OutboxTable.DEFAULT_NAME;
    private Dialect dialect;
    private boolean notifyRelay = true;
    private Ticker ticker = Ticker.system();

    private Builder() {}

    /** The table name, optionally schema-qualified; default {@code exactly_outbox}. */
    public Builder table(String table) {
      this.table = table;
      return this;
    }

    /**
     * The database written to; by default read from the first connection written to. Called twice,
     * the last value wins.
     */
    public Builder database(Database database) {
      this.dialect = Dialect.of(Objects.requireNonNull(database, "database"));
      return this;
    }

    /**
     * Whether each write also wakes the relay at commit, where the database can (PostgreSQL
     * NOTIFY); default true. Turn it off at very high write rates, where the relay's polling keeps
     * up anyway and NOTIFY's commit-time lock costs more than it saves.
     */
    public Builder notifyRelay(boolean notifyRelay) {
      this.notifyRelay = notifyRelay;
      return this;
    }

    /**
     * The time stamping {@code created_at}, for retention and latency; default {@link
     * Ticker#system()}. Called twice, the last value wins.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "outbox.ticker");
      return this;
    }

    /**
     * @throws dev.exactly.ConfigurationException naming {@code outbox.table} when the name is not a
     *     plain SQL identifier
     */
    public Outbox build() {
      return new JdbcOutbox(
          new OutboxTable(Dialect.checkIdentifier("outbox.table", table)),
          dialect,
          notifyRelay,
          ticker);
    }
  }
}
