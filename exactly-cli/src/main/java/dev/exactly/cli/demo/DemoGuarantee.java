package dev.exactly.cli.demo;

/** Which components the demo's stages use. */
public enum DemoGuarantee {
  /** Exactly's components: every stage must show each order's effect once. */
  EXACTLY_ONCE,
  /**
   * Plain components a team might write first: an idempotent producer without transactions, plain
   * consumers that commit after their effects and charge without an idempotency key. Kills make
   * them repeat effects; the demo shows where.
   */
  AT_LEAST_ONCE;

  /** Parses {@code exactly-once} and {@code at-least-once}, as the command line spells them. */
  public static DemoGuarantee parse(String text) {
    return switch (text) {
      case "exactly-once" -> EXACTLY_ONCE;
      case "at-least-once" -> AT_LEAST_ONCE;
      default ->
          throw new IllegalArgumentException(
              "unknown guarantee '" + text + "'; use exactly-once or at-least-once");
    };
  }

  public String label() {
    return this == EXACTLY_ONCE ? "exactly-once" : "at-least-once";
  }
}
