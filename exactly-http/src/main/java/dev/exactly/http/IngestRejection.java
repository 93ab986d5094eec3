package dev.exactly.http;

/**
 * Thrown by an {@link IngestHook} to refuse a request for a business reason: the answer is an
 * {@code application/problem+json} response with this status, title and detail, stored for the
 * idempotency key (a retry gets it again), and nothing is published.
 */
public final class IngestRejection extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String title;

  /**
   * @param status a 4xx status
   * @param title a short summary, the same for every occurrence of this problem
   * @param detail what was wrong with this request; shown to the client
   */
  public IngestRejection(int status, String title, String detail) {
    super(detail);
    if (status < 400 || status > 499) {
      throw new IllegalArgumentException("a rejection's status must be 4xx, got " + status);
    }
    this.status = status;
    this.title = title;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }
}
