package dev.exactly.internal;

import java.time.Duration;

/** Durations as people write them in messages: {@code 30 s}, {@code 250 ms}. */
public final class Durations {
  private Durations() {}

  public static String human(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }
}
