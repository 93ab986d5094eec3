package dev.exactly.jdbc.outbox;

import dev.exactly.Ticker;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.internal.Dialect.TransactionHorizon;
import dev.exactly.jdbc.outbox.RelayPosition.Clock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads the next batch after a {@link RelayPosition}, without ever skipping a row whose id became
 * visible late.
 *
 * <p>Ids are taken in time order but committed in any order, so reading "ids above the last one
 * published" alone loses a row whose transaction took its id first and committed last. Every id
 * missing below a visible one is kept as a gap and read again on every poll until it appears or can
 * no longer appear. It can no longer appear once no transaction is open that started before the gap
 * was first seen (the id was taken before that moment, by a transaction that had started): the
 * database says so where it can ({@link Dialect#transactionHorizon}). Elsewhere a gap is given up
 * after the gap timeout (the fallback), and still read for a while after: a row that appears there
 * after all is published late, never skipped.
 *
 * <p>The order of the steps matters: the horizon is read before the gaps are read again, so a
 * transaction that ends just before the horizon check is seen by the re-read. New rows and awaited
 * ids are read in one statement, so in one snapshot.
 *
 * <p>Not thread-safe: one per relay thread, holding what it has seen of a pending jump.
 *
 * <p>Needs a connection in auto-commit mode, so every statement sees what is committed at its start
 * (MariaDB's default REPEATABLE READ would otherwise freeze the view).
 */
final class OutboxReader {
  /**
   * The most ids one jump may add to the awaited set; a larger jump is held back as a whole until
   * it settles (see {@link #jumpSettled}), so the position record stays small.
   */
  static final int MAX_GAP_RUN = 10_000;

  private static final int IN_LIST = 500;

  private final OutboxTable table;
  private final Dialect dialect;
  private final int batchSize;
  private final Duration gapTimeout;
  private final Ticker ticker;

  /** A jump of more than {@link #MAX_GAP_RUN} ids seen above this high-water mark, or -1. */
  private long jumpAbove = -1;

  /** When the jump was first seen: the relay's ticker, and the database's clock when it shows. */
  private long jumpSeenNanos;

  private long jumpSeenDatabase;

  /** How long ids given up by the gap timeout are still read. */
  private final Duration watchGivenUp;

  /**
   * @param watchGivenUp how long ids given up by the gap timeout are still read
   */
  OutboxReader(
      OutboxTable table,
      Dialect dialect,
      int batchSize,
      Duration gapTimeout,
      Duration watchGivenUp,
      Ticker ticker) {
    this.table = table;
    this.dialect = dialect;
    this.batchSize = batchSize;
    this.gapTimeout = gapTimeout;
    this.watchGivenUp = watchGivenUp;
    this.ticker = ticker;
  }

  /**
   * The rows to publish next, late rows first, and the position once they are published.
   *
   * @param abandoned gaps given up in this call because no open transaction can commit them
   * @param timedOut gaps given up in this call after the gap timeout, where the database could not
   *     show open transactions (the fallback); still read for a while, see {@link RelayPosition}
   * @param dropped ids given up in this call without proof: beyond {@link RelayPosition#MAX_IDS},
   *     or in a jump awaited longer than the gap timeout
   * @param late rows among {@code rows} that appeared in an id already given up
   * @param horizonRead whether this call asked the database for open transactions (only when it
   *     awaits ids)
   * @param fallback whether the database could not show them when asked
   */
  record Batch(
      List<OutboxRow> rows,
      RelayPosition next,
      int abandoned,
      int timedOut,
      long dropped,
      List<Long> late,
      boolean horizonRead,
      boolean fallback) {}

  Batch next(Connection connection, RelayPosition from) throws SQLException {
    Map<Long, Long> gaps = new TreeMap<>(from.gaps());
    Map<Long, Long> givenUp = new TreeMap<>(from.givenUp());
    boolean horizonRead = !gaps.isEmpty() || jumpAbove >= 0;
    Optional<TransactionHorizon> horizon =
        horizonRead ? dialect.transactionHorizon(connection) : Optional.empty();
    Clock clock = horizon.isPresent() ? Clock.DATABASE : Clock.RELAY;
    // Times on the database's clock and on the relay's are never compared: when the clock
    // changes (a privilege granted or revoked, a session of another role appearing), every gap
    // is timed again from now, which only makes the relay wait longer.
    boolean retime = from.clock() != Clock.NONE && from.clock() != clock;
    List<Long> expired = new ArrayList<>();
    if (!gaps.isEmpty()) {
      long now = horizon.map(h -> h.now().toEpochMilli()).orElseGet(ticker::millis);
      long oldestOpen =
          horizon
              .flatMap(TransactionHorizon::oldestOpenStart)
              .map(i -> i.toEpochMilli())
              .orElse(Long.MAX_VALUE);
      for (Map.Entry<Long, Long> gap : gaps.entrySet()) {
        long seen = gap.getValue();
        if (seen < 0 || retime) {
          // First seen in the last poll: time it now, after the read that revealed it.
          gap.setValue(now);
        } else if (horizon.isPresent() ? oldestOpen > seen : now - seen >= gapTimeout.toMillis()) {
          expired.add(gap.getKey());
        }
      }
    }
    long nowRelay = ticker.millis();
    givenUp.values().removeIf(at -> nowRelay - at >= watchGivenUp.toMillis());
    // New rows and the lowest awaited ids in ONE statement, so one snapshot: the rows of a
    // transaction become visible together, and one that commits between two reads could
    // otherwise show its higher ids before its awaited lower ones (out of order within a key).
    // The limit is on the new rows only, so no awaited id is cut off and mistaken for still
    // missing. Ids given up by the fallback are read too: a row there is published late.
    long high = from.highWater();
    List<Long> gapIds = new ArrayList<>(gaps.keySet());
    gapIds.addAll(givenUp.keySet());
    List<Long> first = gapIds.subList(0, Math.min(gapIds.size(), IN_LIST));
    List<OutboxRow> rows = new ArrayList<>();
    try (PreparedStatement ps =
        connection.prepareStatement(table.selectAfterOrIds(first.size(), batchSize))) {
      ps.setLong(1, high);
      for (int j = 0; j < first.size(); j++) {
        ps.setLong(j + 2, first.get(j));
      }
      read(ps, rows);
    }
    // More awaited ids than fit in one statement (rare): read after, in later snapshots. A
    // transaction seen only here has its higher ids read in a later poll, so still after these.
    for (int i = IN_LIST; i < gapIds.size(); i += IN_LIST) {
      List<Long> chunk = gapIds.subList(i, Math.min(gapIds.size(), i + IN_LIST));
      try (PreparedStatement ps = connection.prepareStatement(table.selectIds(chunk.size()))) {
        for (int j = 0; j < chunk.size(); j++) {
          ps.setLong(j + 1, chunk.get(j));
        }
        read(ps, rows);
      }
    }
    rows.sort(Comparator.comparingLong(OutboxRow::id));
    List<Long> late = new ArrayList<>();
    long dropped = 0;
    for (int i = 0; i < rows.size(); i++) {
      OutboxRow row = rows.get(i);
      if (row.id() <= from.highWater()) {
        gaps.remove(row.id());
        if (givenUp.remove(row.id()) != null) {
          late.add(row.id());
        }
        continue;
      }
      long jump = row.id() - high - 1;
      if (jump > MAX_GAP_RUN) {
        Boolean settled = jumpSettled(horizon, high);
        if (settled == null) {
          // Too many ids to await one by one: stop short of the jump and read again from here
          // until no transaction that could hold one of them is open. Rows committed in the
          // jump meanwhile are read as ordinary rows.
          rows.subList(i, rows.size()).clear();
          break;
        }
        if (!settled) {
          dropped += jump;
        }
      } else {
        for (long missing = high + 1; missing < row.id(); missing++) {
          gaps.put(missing, -1L);
        }
      }
      high = row.id();
    }
    int abandoned = 0;
    int timedOut = 0;
    for (Long id : expired) {
      if (gaps.remove(id) != null) {
        if (horizon.isPresent()) {
          abandoned++;
        } else {
          givenUp.put(id, nowRelay);
          timedOut++;
        }
      }
    }
    RelayPosition.Capped capped =
        new RelayPosition(
                high,
                gaps,
                gaps.values().stream().anyMatch(t -> t >= 0) ? clock : Clock.NONE,
                givenUp)
            .capped();
    return new Batch(
        rows,
        capped.position(),
        abandoned,
        timedOut,
        dropped + capped.dropped(),
        late,
        horizonRead,
        horizonRead && horizon.isEmpty());
  }

  /**
   * Whether the ids in a jump above {@code high} can no longer become visible: null while the jump
   * is still awaited, true once no transaction that started by the time it was first seen is open
   * (where the database can tell), false once it was awaited for the gap timeout without that
   * proof: a jump is not held up for longer by transactions that are most likely unrelated (a
   * report running for hours), and the caller counts its ids as given up. The first call for a jump
   * times it, after the read that revealed it, on both clocks.
   */
  private Boolean jumpSettled(Optional<TransactionHorizon> horizon, long high) {
    if (jumpAbove != high) {
      jumpAbove = high;
      jumpSeenNanos = ticker.nanoTime();
      jumpSeenDatabase = horizon.map(h -> h.now().toEpochMilli()).orElse(Long.MAX_VALUE);
      return null;
    }
    boolean proven =
        horizon.isPresent()
            && jumpSeenDatabase != Long.MAX_VALUE
            && horizon
                .get()
                .oldestOpenStart()
                .map(i -> i.toEpochMilli() > jumpSeenDatabase)
                .orElse(true);
    if (proven) {
      jumpAbove = -1;
      return true;
    }
    if (jumpSeenDatabase == Long.MAX_VALUE && horizon.isPresent()) {
      // First seen without the database's clock: start its database time now.
      jumpSeenDatabase = horizon.get().now().toEpochMilli();
    }
    if (ticker.nanoTime() - jumpSeenNanos >= gapTimeout.toNanos()) {
      jumpAbove = -1;
      return false;
    }
    return null;
  }

  private static void read(PreparedStatement ps, List<OutboxRow> into) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        into.add(
            new OutboxRow(
                rs.getLong(1),
                rs.getString(2),
                rs.getBytes(3),
                rs.getBytes(4),
                rs.getBytes(5),
                rs.getLong(6)));
      }
    }
  }
}
