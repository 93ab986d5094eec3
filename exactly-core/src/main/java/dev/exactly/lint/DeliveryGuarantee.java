package dev.exactly.lint;

/** The delivery guarantee a configuration gives end to end, weakest first. */
public enum DeliveryGuarantee {
  /** A record may be lost: offsets committed before processing, or sends not retried. */
  AT_MOST_ONCE,
  /** Nothing is lost; a retry or a restart may process or write a record twice. */
  AT_LEAST_ONCE,
  /**
   * Outputs and offsets commit atomically; each input's effect is seen once by committed readers.
   */
  EXACTLY_ONCE;

  /** The weaker of the two. */
  public DeliveryGuarantee min(DeliveryGuarantee other) {
    return compareTo(other) <= 0 ? this : other;
  }

  /** As the CLI prints it: {@code exactly-once}, {@code at-least-once}, {@code at-most-once}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
