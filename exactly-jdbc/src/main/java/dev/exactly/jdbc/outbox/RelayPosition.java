package dev.exactly.jdbc.outbox;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * How far the relay has published: every row with an id at most {@code highWater} is published,
 * except the ids in {@code gaps}, which were not visible when a higher id was read (a rolled-back
 * insert, or a transaction that took its id earlier but has not committed yet). Each gap keeps when
 * it was first seen (epoch milliseconds, on the clock that decides its expiry; -1 until timed), so
 * it can be given up once it can no longer become visible.
 *
 * <p>Written as the value of the relay's record in the position topic, inside the Kafka transaction
 * that publishes the rows it covers. Immutable.
 */
record RelayPosition(long highWater, Map<Long, Long> gaps) {
  private static final byte VERSION = 1;

  static final RelayPosition START = new RelayPosition(0, Map.of());

  RelayPosition {
    gaps = Collections.unmodifiableMap(new TreeMap<>(gaps));
  }

  byte[] encode() {
    ByteBuffer out = ByteBuffer.allocate(1 + 8 + 4 + gaps.size() * 16);
    out.put(VERSION).putLong(highWater).putInt(gaps.size());
    gaps.forEach((id, seen) -> out.putLong(id).putLong(seen));
    return out.array();
  }

  static RelayPosition decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte version = in.get();
    if (version != VERSION) {
      throw new IllegalStateException(
          "relay position written by a newer version (format "
              + version
              + "); run that version or a newer one");
    }
    long high = in.getLong();
    int n = in.getInt();
    Map<Long, Long> gaps = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      gaps.put(in.getLong(), in.getLong());
    }
    return new RelayPosition(high, gaps);
  }
}
