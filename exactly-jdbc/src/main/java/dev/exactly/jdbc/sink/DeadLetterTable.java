package dev.exactly.jdbc.sink;

import dev.exactly.jdbc.internal.Column;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.internal.HeaderCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * The sink's dead letters waiting to be published: a record given up is inserted here in the same
 * transaction that moves its partition's offset past it, so the decision to give it up and the
 * offset commit are one step, fenced by the same epoch as every batch. Publishing to Kafka comes
 * after, and a row is deleted once Kafka has its record; a crash in between leaves the row for
 * whoever owns the partition next.
 *
 * <p>Keyed by (group, topic, partition, offset). Stateless apart from its SQL; every method works
 * on the caller's connection.
 */
final class DeadLetterTable {
  private static final List<String> COLUMNS =
      List.of(
          "group_id",
          "topic",
          "partition_id",
          "source_offset",
          "dlt_topic",
          "msg_key",
          "msg_value",
          "headers",
          "created_at");
  private static final List<String> KEY =
      List.of("group_id", "topic", "partition_id", "source_offset");

  /** A dead letter committed and not yet known to be in Kafka. */
  record Pending(TopicPartition source, long offset, ProducerRecord<byte[], byte[]> record) {}

  private final Dialect dialect;
  private final String table;
  private final String group;
  private final String insert;
  private final String select;
  private final String delete;

  /**
   * @param table a plain SQL identifier, optionally schema-qualified: {@code <offset table>_dlt}
   */
  DeadLetterTable(Dialect dialect, String table, String group) {
    this.dialect = dialect;
    this.table = Dialect.checkIdentifier("sink.offsetTable", table);
    this.group = group;
    // A plain INSERT: H2's MERGE ... USING (VALUES ?) types its parameters from the values and
    // mangled the encoded headers. A second insert of one dead letter cannot commit anyway: the
    // offset it moves has moved.
    this.insert =
        "INSERT INTO "
            + table
            + " ("
            + String.join(", ", COLUMNS)
            + ") VALUES ("
            + String.join(", ", Collections.nCopies(COLUMNS.size(), "?"))
            + ")";
    this.select =
        "SELECT source_offset, dlt_topic, msg_key, msg_value, headers FROM "
            + table
            + " WHERE group_id = ? AND topic = ? AND partition_id = ? ORDER BY source_offset";
    this.delete =
        "DELETE FROM "
            + table
            + " WHERE group_id = ? AND topic = ? AND partition_id = ? AND source_offset = ?";
  }

  /** The table of dead letters that belongs to {@code offsetTable}. */
  static String nameFor(String offsetTable) {
    return offsetTable + "_dlt";
  }

  String table() {
    return table;
  }

  /** Creates the table when absent, in auto-commit mode. */
  void create(Connection c) throws SQLException {
    List<Column> columns =
        List.of(
            Column.key("group_id", 249),
            Column.key("topic", 249),
            Column.integer("partition_id", false),
            Column.bigint("source_offset", false),
            Column.key("dlt_topic", 249),
            Column.bytes("msg_key", true),
            Column.bytes("msg_value", true),
            Column.bytes("headers", true),
            Column.bigint("created_at", false));
    dialect.createIfAbsent(c, dialect.createTableIfAbsent(table, columns, KEY, List.of()));
  }

  /** Inserts the dead letter of {@code source}'s record at {@code offset}, in the caller's work. */
  void insert(
      Connection c,
      TopicPartition source,
      long offset,
      ProducerRecord<byte[], byte[]> record,
      long nowMillis)
      throws SQLException {
    List<Map.Entry<String, byte[]>> headers = new ArrayList<>();
    for (Header h : record.headers()) {
      headers.add(new AbstractMap.SimpleImmutableEntry<>(h.key(), h.value()));
    }
    try (PreparedStatement s = c.prepareStatement(insert)) {
      bind(s, source);
      s.setLong(4, offset);
      s.setString(5, record.topic());
      setBytes(s, 6, record.key());
      setBytes(s, 7, record.value());
      setBytes(s, 8, HeaderCodec.encode(headers));
      s.setLong(9, nowMillis);
      s.executeUpdate();
    }
  }

  /** The partition's dead letters not yet published, in offset order. */
  List<Pending> pending(Connection c, TopicPartition source) throws SQLException {
    List<Pending> out = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement(select)) {
      bind(s, source);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          ProducerRecord<byte[], byte[]> record =
              new ProducerRecord<>(
                  rs.getString(2),
                  null,
                  null,
                  rs.getBytes(3),
                  rs.getBytes(4),
                  HeaderCodec.decode(rs.getBytes(5)));
          out.add(new Pending(source, rs.getLong(1), record));
        }
      }
    }
    return out;
  }

  /** Forgets a dead letter Kafka has acknowledged. */
  void delete(Connection c, Pending p) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(delete)) {
      bind(s, p.source());
      s.setLong(4, p.offset());
      s.executeUpdate();
    }
  }

  private void bind(PreparedStatement s, TopicPartition tp) throws SQLException {
    s.setString(1, group);
    s.setString(2, tp.topic());
    s.setInt(3, tp.partition());
  }

  private static void setBytes(PreparedStatement s, int i, byte[] bytes) throws SQLException {
    if (bytes == null) {
      s.setNull(i, Types.VARBINARY);
    } else {
      s.setBytes(i, bytes);
    }
  }
}
