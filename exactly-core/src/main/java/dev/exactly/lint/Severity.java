package dev.exactly.lint;

/** How much a {@link Finding} matters. */
public enum Severity {
  /**
   * The configuration breaks the guarantee it asks for, or fails at start; component builders
   * refuse it.
   */
  ERROR,
  /**
   * The configuration works but weakens a guarantee or its liveness under a fault worth planning
   * for.
   */
  WARN,
  /** A fact worth knowing (a feature level, the protocol in use); nothing to fix. */
  INFO
}
