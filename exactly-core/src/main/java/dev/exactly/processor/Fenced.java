package dev.exactly.processor;

/**
 * This instance is a zombie: another instance took over its transactional id or its partitions. The
 * engine stops in {@code FENCED} without touching the transaction; the cause is its failure.
 */
final class Fenced extends RuntimeException {
  private static final long serialVersionUID = 1L;

  Fenced(Throwable cause) {
    super(cause);
  }
}
