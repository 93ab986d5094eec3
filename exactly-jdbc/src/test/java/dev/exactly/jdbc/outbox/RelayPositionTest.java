package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RelayPositionTest {
  @Test
  void aPositionWithAnyNumberOfIdsIsCappedBelowTheLimitDroppingTheOldestFirst() {
    Map<Long, Long> gaps = new TreeMap<>();
    Map<Long, Long> givenUp = new TreeMap<>();
    for (long id = 1; id <= 50_000; id++) {
      givenUp.put(id, 5L);
    }
    for (long id = 50_001; id <= 120_000; id++) {
      gaps.put(id, 7L);
    }
    RelayPosition.Capped capped =
        new RelayPosition(200_000, gaps, RelayPosition.Clock.RELAY, givenUp).capped();
    assertThat(capped.dropped()).isEqualTo(110_000);
    RelayPosition kept = capped.position();
    assertThat(kept.givenUp()).isEmpty();
    assertThat(kept.gaps()).hasSize(RelayPosition.MAX_IDS);
    assertThat(kept.gaps().keySet().iterator().next()).isEqualTo(110_001L);
    byte[] encoded = kept.encode();
    assertThat(encoded.length).isLessThanOrEqualTo(RelayPosition.MAX_ENCODED_BYTES);
    assertThat(RelayPosition.MAX_ENCODED_BYTES).isLessThan(200_000);
    assertThat(RelayPosition.decode(encoded)).isEqualTo(kept);
  }

  @Test
  void aPositionOfTheFirstFormatIsReadWithItsGapsUntimed() {
    ByteBuffer v1 = ByteBuffer.allocate(1 + 8 + 4 + 16);
    v1.put((byte) 1).putLong(42).putInt(1).putLong(40).putLong(123_456);
    RelayPosition read = RelayPosition.decode(v1.array());
    assertThat(read.highWater()).isEqualTo(42);
    assertThat(read.gaps()).containsExactly(Map.entry(40L, -1L));
    assertThat(read.clock()).isEqualTo(RelayPosition.Clock.NONE);
    assertThat(read.givenUp()).isEmpty();
  }
}
