package dev.exactly.jdbc.outbox;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * How far the relay has published: every row with an id at most {@code highWater} is published,
 * except the ids in {@code gaps}, which were not visible when a higher id was read (a rolled-back
 * insert, or a transaction that took its id earlier but has not committed yet). Each gap keeps when
 * it was first seen (epoch milliseconds on {@code clock}, -1 until timed), so it can be given up
 * once it can no longer become visible.
 *
 * <p>{@code givenUp} holds ids given up by the gap timeout (where the database cannot show open
 * transactions), with when they were given up on the relay's clock: they are still read for a
 * while, and a row that appears there after all is published late rather than skipped.
 *
 * <p>Written as the value of the relay's record in the position topic, inside the Kafka transaction
 * that publishes the rows it covers. {@link #MAX_IDS} bounds its size. Immutable.
 */
record RelayPosition(long highWater, Map<Long, Long> gaps, Clock clock, Map<Long, Long> givenUp) {
  private static final byte VERSION_1 = 1;
  private static final byte VERSION = 2;

  /**
   * The most gaps and given-up ids one position keeps: 16 bytes each, so the record stays near 160
   * KB, far below the producer's {@code max.request.size} and the broker's {@code
   * message.max.bytes} (1 MB by default).
   */
  static final int MAX_IDS = 10_000;

  /** The largest encoded position. */
  static final int MAX_ENCODED_BYTES = 1 + 8 + 1 + 4 + 4 + MAX_IDS * 16;

  static final RelayPosition START = new RelayPosition(0, Map.of(), Clock.NONE, Map.of());

  /** Which clock the gaps' first-seen times are on; times on two clocks are never compared. */
  enum Clock {
    /** No gap is timed. */
    NONE,
    /** The database's clock, read with its transaction horizon. */
    DATABASE,
    /** The relay's ticker, where the database cannot show open transactions. */
    RELAY
  }

  RelayPosition {
    gaps = Collections.unmodifiableMap(new TreeMap<>(gaps));
    givenUp = Collections.unmodifiableMap(new TreeMap<>(givenUp));
  }

  RelayPosition(long highWater, Map<Long, Long> gaps) {
    this(highWater, gaps, Clock.NONE, Map.of());
  }

  /**
   * This position cut to {@link #MAX_IDS} ids: given-up ids go first, oldest (lowest) first, then
   * the lowest gaps.
   */
  Capped capped() {
    int excess = gaps.size() + givenUp.size() - MAX_IDS;
    if (excess <= 0) {
      return new Capped(this, 0);
    }
    TreeMap<Long, Long> keptGivenUp = new TreeMap<>(givenUp);
    TreeMap<Long, Long> keptGaps = new TreeMap<>(gaps);
    int dropped = 0;
    for (Iterator<Long> it = keptGivenUp.keySet().iterator(); it.hasNext() && dropped < excess; ) {
      it.next();
      it.remove();
      dropped++;
    }
    for (Iterator<Long> it = keptGaps.keySet().iterator(); it.hasNext() && dropped < excess; ) {
      it.next();
      it.remove();
      dropped++;
    }
    return new Capped(new RelayPosition(highWater, keptGaps, clock, keptGivenUp), dropped);
  }

  /** A position within {@link #MAX_IDS}, and how many ids were dropped to get there. */
  record Capped(RelayPosition position, int dropped) {}

  byte[] encode() {
    ByteBuffer out = ByteBuffer.allocate(1 + 8 + 1 + 4 + 4 + (gaps.size() + givenUp.size()) * 16);
    out.put(VERSION).putLong(highWater).put((byte) clock.ordinal()).putInt(gaps.size());
    gaps.forEach((id, seen) -> out.putLong(id).putLong(seen));
    out.putInt(givenUp.size());
    givenUp.forEach((id, at) -> out.putLong(id).putLong(at));
    return out.array();
  }

  static RelayPosition decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte version = in.get();
    if (version != VERSION && version != VERSION_1) {
      throw new IllegalStateException(
          "relay position written by a newer version (format "
              + version
              + "); run that version or a newer one");
    }
    long high = in.getLong();
    // Format 1 did not say which clock timed its gaps: time them again.
    Clock clock = version == VERSION_1 ? Clock.NONE : Clock.values()[in.get()];
    Map<Long, Long> gaps = readIds(in, version == VERSION_1);
    Map<Long, Long> givenUp = version == VERSION_1 ? Map.of() : readIds(in, false);
    return new RelayPosition(high, gaps, clock, givenUp);
  }

  private static Map<Long, Long> readIds(ByteBuffer in, boolean untimed) {
    int n = in.getInt();
    Map<Long, Long> ids = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      long id = in.getLong();
      long at = in.getLong();
      ids.put(id, untimed ? -1L : at);
    }
    return ids;
  }
}
