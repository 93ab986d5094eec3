package dev.exactly.jdbc.outbox;

import dev.exactly.Ticker;
import dev.exactly.jdbc.Database;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.internal.H2Durability;
import dev.exactly.jdbc.internal.HeaderCodec;
import dev.exactly.jdbc.internal.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/** The outbox writer: one insert, and one NOTIFY where the database has it. */
final class JdbcOutbox implements Outbox {
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private final OutboxTable table;
  private final boolean notifyRelay;
  private final Ticker ticker;
  private volatile Dialect dialect;
  private volatile boolean durabilityChecked;

  JdbcOutbox(OutboxTable table, Dialect dialect, boolean notifyRelay, Ticker ticker) {
    this.table = table;
    this.dialect = dialect;
    this.notifyRelay = notifyRelay;
    this.ticker = ticker;
  }

  @Override
  public long write(
      Connection connection, String topic, byte[] key, byte[] value, Map<String, byte[]> headers)
      throws SQLException {
    Objects.requireNonNull(connection, "connection");
    // A topic Kafka would refuse is the caller's bug: refuse it here, inside their transaction,
    // rather than let the relay find a record it can never publish.
    if (topic == null
        || !TOPIC.matcher(topic).matches()
        || topic.equals(".")
        || topic.equals("..")) {
      throw new IllegalArgumentException(
          "topic '" + topic + "' is not a legal Kafka topic name: use 1-249 of [a-zA-Z0-9._-]");
    }
    List<Map.Entry<String, byte[]>> userHeaders = new ArrayList<>();
    for (Map.Entry<String, byte[]> h : Objects.requireNonNull(headers, "headers").entrySet()) {
      if (ID_HEADER.equals(h.getKey())) {
        throw new IllegalArgumentException(
            "header " + ID_HEADER + " is set by the relay to the row's id; use another name");
      }
      userHeaders.add(new AbstractMap.SimpleImmutableEntry<>(h.getKey(), h.getValue()));
    }
    Dialect d = dialect(connection);
    long id;
    try {
      id = insert(connection, topic, key, value, userHeaders);
    } catch (SQLException e) {
      if (Sql.undefinedTable(e)) {
        throw missingTable(d, e);
      }
      throw e;
    }
    if (notifyRelay) {
      notifyRelay(connection);
    }
    return id;
  }

  @Override
  public void notifyRelay(Connection connection) throws SQLException {
    Optional<String> notify = dialect(connection).notifyStatement();
    if (notify.isPresent()) {
      try (PreparedStatement ps = connection.prepareStatement(notify.get())) {
        ps.setString(1, table.channel());
        ps.execute();
      }
    }
  }

  private long insert(
      Connection connection,
      String topic,
      byte[] key,
      byte[] value,
      List<Map.Entry<String, byte[]>> userHeaders)
      throws SQLException {
    long id;
    try (PreparedStatement ps =
        connection.prepareStatement(table.insert(), Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, topic);
      setBytes(ps, 2, key);
      setBytes(ps, 3, value);
      setBytes(ps, 4, HeaderCodec.encode(userHeaders));
      ps.setLong(5, ticker.millis());
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        if (!keys.next()) {
          throw new SQLException("the database returned no id for the outbox row in " + table.name);
        }
        id = keys.getLong(1);
      }
    }
    return id;
  }

  /** The database's "no such table", with the two ways to create it. */
  private SQLException missingTable(Dialect d, SQLException e) {
    String file = "db/exactly/outbox-" + d.database().name().toLowerCase(Locale.ROOT) + ".sql";
    return new SQLException(
        "outbox table "
            + table.name
            + " does not exist: create it once with Outbox.createTableIfAbsent(connection),"
            + " outside a business transaction, or with your migration tool from "
            + file
            + " in the exactly-jdbc jar (it names the table exactly_outbox; rename it to match)."
            + " The database said: "
            + e.getMessage(),
        e.getSQLState(),
        e.getErrorCode(),
        e);
  }

  private static void setBytes(PreparedStatement ps, int index, byte[] bytes) throws SQLException {
    if (bytes == null) {
      ps.setNull(index, Types.VARBINARY);
    } else {
      ps.setBytes(index, bytes);
    }
  }

  private Dialect dialect(Connection connection) throws SQLException {
    Dialect d = dialect;
    if (d == null) {
      d = Dialect.of(connection);
      dialect = d;
    }
    if (!durabilityChecked && d.database() == Database.H2) {
      // The writer has no data source of its own: it checks on the first connection it is given.
      durabilityChecked = true;
      H2Durability.check(connection, "outbox " + table.name);
    }
    return d;
  }

  @Override
  public String table() {
    return table.name;
  }

  @Override
  public void createTableIfAbsent(Connection connection) throws SQLException {
    Dialect d = dialect(connection);
    d.createIfAbsent(connection, d.createOutboxTableIfAbsent(table.name));
  }
}
