package dev.exactly;

/**
 * Headers on every record Exactly writes to a dead-letter topic, saying where it came from and why
 * it was given up. The original key, value and headers are kept as they were.
 */
public final class DeadLetterHeaders {
  /** The topic the record was consumed from. */
  public static final String TOPIC = "exactly.dlt.original.topic";

  /** Its partition, as a decimal string. */
  public static final String PARTITION = "exactly.dlt.original.partition";

  /** Its offset, as a decimal string. */
  public static final String OFFSET = "exactly.dlt.original.offset";

  /** Its timestamp in epoch milliseconds, as a decimal string. */
  public static final String TIMESTAMP = "exactly.dlt.original.timestamp";

  /** The fully qualified class of the exception that gave it up. */
  public static final String EXCEPTION_CLASS = "exactly.dlt.exception.class";

  /** That exception's message, possibly empty. */
  public static final String EXCEPTION_MESSAGE = "exactly.dlt.exception.message";

  /** How many times processing was attempted, as a decimal string. */
  public static final String ATTEMPTS = "exactly.dlt.attempts";

  /** Why: {@code deserialization}, {@code non-retriable} or {@code retries-exhausted}. */
  public static final String REASON = "exactly.dlt.reason";

  private DeadLetterHeaders() {}
}
