package dev.exactly;

/**
 * Thrown by a user's function to say that retrying the record cannot help (a validation failure, a
 * business rule): the record goes straight to the dead-letter topic and its partition moves on.
 *
 * <p>Other exception types can be marked non-retriable in a builder too; throwing this one is the
 * way that needs no configuration.
 */
public class NonRetriableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NonRetriableException(String message) {
    super(message);
  }

  public NonRetriableException(String message, Throwable cause) {
    super(message, cause);
  }
}
