package dev.exactly.dedup;

/**
 * A dedup store could not answer (unreachable, timed out, full, refused the statement). Nothing was
 * decided for the keys of the failed call: the caller must not act on them, and may retry the whole
 * call later.
 */
public class DedupStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DedupStoreException(String message) {
    super(message);
  }

  public DedupStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
