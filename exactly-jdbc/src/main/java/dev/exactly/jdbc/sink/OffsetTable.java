package dev.exactly.jdbc.sink;

import dev.exactly.jdbc.internal.Column;
import dev.exactly.jdbc.internal.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * The sink's offset table: one row per (group, topic, partition) holding the next offset to consume
 * and the epoch of the partition's current owner. Stateless apart from its SQL; every method works
 * on the caller's connection and leaves commit and rollback to the caller.
 *
 * <p>Rows are always touched in (topic, partition) order so two instances claiming overlapping
 * partitions lock rows in the same order and cannot deadlock on each other.
 */
final class OffsetTable {
  /** next_offset of a partition that never committed: start from auto.offset.reset. */
  static final long NO_OFFSET = -1;

  private static final List<String> COLUMNS =
      List.of("group_id", "topic", "partition_id", "next_offset", "epoch");
  private static final List<String> KEY = List.of("group_id", "topic", "partition_id");
  private static final Comparator<TopicPartition> ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  private final Dialect dialect;
  private final String table;
  private final String group;
  private final String insertIfAbsent;
  private final String bump;
  private final String select;
  private final String advance;
  private final String lockWaitLimit;

  /** Where a partition stands in the database. */
  record Position(long nextOffset, long epoch) {}

  OffsetTable(Dialect dialect, String table, String group) {
    this(dialect, table, group, SinkEngine.LOCK_WAIT);
  }

  /**
   * @param lockWait how long a claim or an offset update waits for the row's lock before failing
   *     with a transient lock timeout (where the dialect can bound it per transaction)
   */
  OffsetTable(Dialect dialect, String table, String group, Duration lockWait) {
    this.dialect = dialect;
    this.lockWaitLimit = dialect.lockWaitLimit(lockWait).orElse(null);
    this.table = Dialect.checkIdentifier("sink.offsetTable", table);
    this.group = group;
    this.insertIfAbsent = dialect.insertIfAbsent(table, COLUMNS, KEY, 1);
    this.bump =
        "UPDATE "
            + table
            + " SET epoch = epoch + 1 WHERE group_id = ? AND topic = ? AND partition_id = ?";
    this.select =
        "SELECT next_offset, epoch FROM "
            + table
            + " WHERE group_id = ? AND topic = ? AND partition_id = ?";
    this.advance =
        "UPDATE "
            + table
            + " SET next_offset = ? WHERE group_id = ? AND topic = ? AND partition_id = ?"
            + " AND epoch = ? AND next_offset = ?";
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
            Column.bigint("next_offset", false),
            Column.bigint("epoch", false));
    dialect.createIfAbsent(c, dialect.createTableIfAbsent(table, columns, KEY, List.of()));
  }

  /**
   * Takes ownership of {@code partitions}: creates missing rows and bumps each epoch, which fences
   * every earlier owner. Run inside a transaction the caller commits; the returned positions hold
   * only once it commits.
   */
  Map<TopicPartition, Position> claim(Connection c, Collection<TopicPartition> partitions)
      throws SQLException {
    List<TopicPartition> sorted = new ArrayList<>(partitions);
    sorted.sort(ORDER);
    Map<TopicPartition, Position> out = new LinkedHashMap<>();
    limitLockWait(c);
    try (PreparedStatement insert = c.prepareStatement(insertIfAbsent);
        PreparedStatement up = c.prepareStatement(bump)) {
      for (TopicPartition tp : sorted) {
        insert.setString(1, group);
        insert.setString(2, tp.topic());
        insert.setInt(3, tp.partition());
        insert.setLong(4, NO_OFFSET);
        insert.setLong(5, 0);
        insert.executeUpdate();
        bind(up, 1, tp);
        if (up.executeUpdate() != 1) {
          throw new SQLException(
              "offset row of " + tp + " vanished from " + table + " while claiming it");
        }
      }
    }
    for (TopicPartition tp : sorted) {
      out.put(tp, read(c, tp));
    }
    return out;
  }

  /** The partition's row, or null when it has none. */
  Position read(Connection c, TopicPartition tp) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(select)) {
      bind(s, 1, tp);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? new Position(rs.getLong(1), rs.getLong(2)) : null;
      }
    }
  }

  /**
   * Moves each partition's offset from the position in {@code ours} to its new value, only where
   * the epoch is still ours and the offset is still the one we last committed. Returns the
   * partitions whose row did not match (empty when all moved); the caller must then roll back and
   * find out why on a fresh transaction: another owner (fenced) or a commit of ours that went
   * through although it reported an error (out of sync).
   */
  Set<TopicPartition> advance(
      Connection c, Map<TopicPartition, Long> next, Map<TopicPartition, Position> ours)
      throws SQLException {
    List<TopicPartition> sorted = new ArrayList<>(next.keySet());
    sorted.sort(ORDER);
    Set<TopicPartition> refused = new LinkedHashSet<>();
    limitLockWait(c);
    try (PreparedStatement s = c.prepareStatement(advance)) {
      for (TopicPartition tp : sorted) {
        Position p = ours.get(tp);
        s.setLong(1, next.get(tp));
        s.setString(2, group);
        s.setString(3, tp.topic());
        s.setInt(4, tp.partition());
        s.setLong(5, p.epoch());
        s.setLong(6, p.nextOffset());
        if (s.executeUpdate() != 1) {
          refused.add(tp);
        }
      }
    }
    return refused;
  }

  /**
   * Bounds the row-lock waits of the rest of the transaction: the previous owner's row lock can
   * belong to a frozen instance or to a session whose client died unnoticed, and an unbounded wait
   * inside the rebalance listener would stall the whole consumer group (every member waits for this
   * one to rejoin, up to max.poll.interval.ms). A timeout is transient: the caller retries.
   */
  private void limitLockWait(Connection c) throws SQLException {
    if (lockWaitLimit != null) {
      try (Statement s = c.createStatement()) {
        s.execute(lockWaitLimit);
      }
    }
  }

  private void bind(PreparedStatement s, int from, TopicPartition tp) throws SQLException {
    s.setString(from, group);
    s.setString(from + 1, tp.topic());
    s.setInt(from + 2, tp.partition());
  }
}
