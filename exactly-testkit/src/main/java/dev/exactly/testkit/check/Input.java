package dev.exactly.testkit.check;

import java.util.Objects;

/**
 * One input the pipeline must act on exactly once.
 *
 * @param id unique across the run
 * @param key the ordering key; inputs of one key must take effect in {@code sequence} order
 * @param sequence this input's place among its key's inputs, counting from 0 without gaps
 */
public record Input(String id, String key, long sequence) {
  public Input {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(key, "key");
    if (sequence < 0) {
      throw new IllegalArgumentException("sequence must be >= 0, got " + sequence);
    }
  }
}
