package dev.exactly;

/**
 * Which records a component with {@code concurrency(n) > 1} keeps in order while it runs others at
 * once.
 */
public enum Ordering {
  /**
   * One key's records run one at a time, in offset order; different keys (and records without a
   * key, per partition) run at once. The default: what a per-entity effect (an order, an account)
   * needs.
   */
  KEY,
  /** One partition's records run one at a time, in offset order; partitions run at once. */
  PARTITION,
  /** Any record may run beside any other; only the commit waits for all of them. */
  UNORDERED
}
