package dev.exactly.cli;

import dev.exactly.jdbc.internal.Column;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.sink.Upserts;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The table {@code exactly sink} writes: one row per key, holding the latest document for it.
 *
 * <ul>
 *   <li>{@code doc_key}: the key found in the document, primary key, compared byte for byte;
 *   <li>{@code doc}: the JSON document as received, the latest for the key;
 *   <li>{@code revision}: how many records have been applied to the row. Each record adds one in
 *       the same statement that writes it, so a record applied twice would show here;
 *   <li>{@code source_topic}, {@code source_partition}, {@code source_offset}: where the latest
 *       document came from.
 * </ul>
 *
 * A record's write and its offset commit in one transaction (the DB sink's), so the row and its
 * revision change exactly once per record even when the command is killed and restarted.
 */
final class SinkTable {
  static final List<String> COLUMNS =
      List.of("doc_key", "doc", "revision", "source_topic", "source_partition", "source_offset");

  private static final List<String> KEY = List.of("doc_key");

  private final String name;

  private SinkTable(String name) {
    this.name = name;
  }

  /**
   * @throws dev.exactly.ConfigurationException when {@code name} is not a plain SQL identifier
   */
  static SinkTable named(String option, String name) {
    return new SinkTable(Dialect.checkIdentifier(option, name));
  }

  String name() {
    return name;
  }

  /** Creates the table when absent, in the dialect of the database behind {@code dataSource}. */
  void createIfAbsent(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      Dialect dialect = Dialect.of(c);
      dialect.createIfAbsent(
          c,
          dialect.createTableIfAbsent(
              name,
              List.of(
                  Column.key("doc_key", JsonDocument.MAX_KEY_LENGTH),
                  Column.document("doc", false),
                  Column.bigint("revision", false),
                  Column.text("source_topic", 249, false),
                  Column.integer("source_partition", false),
                  Column.bigint("source_offset", false)),
              KEY,
              List.of()));
      if (!c.getAutoCommit()) {
        c.commit();
      }
    }
  }

  /** Upserts a batch on the sink's connection; later records for a key win, each adds 1. */
  void write(List<ConsumerRecord<byte[], JsonDocument>> records, Connection connection)
      throws SQLException {
    List<List<Object>> rows = new ArrayList<>(records.size());
    for (ConsumerRecord<byte[], JsonDocument> r : records) {
      rows.add(
          List.of(r.value().key(), r.value().json(), 1L, r.topic(), r.partition(), r.offset()));
    }
    Upserts.upsertAdding(connection, name, COLUMNS, KEY, "revision", rows);
  }
}
