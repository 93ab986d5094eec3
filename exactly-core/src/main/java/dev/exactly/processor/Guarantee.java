package dev.exactly.processor;

/** What a processor promises about each input record's outputs. */
public enum Guarantee {
  /**
   * Each input's outputs, dead letters and consumed offset commit in one Kafka transaction: a
   * {@code read_committed} reader sees every input's outputs exactly once, whatever crashes.
   */
  EXACTLY_ONCE,

  /**
   * NOT exactly-once: outputs are sent with a plain idempotent producer and offsets committed after
   * the sends, so a crash between the two duplicates outputs. For benchmarks and negative controls.
   */
  AT_LEAST_ONCE_NOT_EXACTLY_ONCE
}
