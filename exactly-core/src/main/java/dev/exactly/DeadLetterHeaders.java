package dev.exactly;

/**
 * Headers on every record Exactly writes to a dead-letter topic, saying where it came from and why
 * it was given up. The original key, value and headers are kept as they were; a header of the same
 * name that the original carried is replaced.
 *
 * <p>Every dead letter carries {@link #REASON}, {@link #EXCEPTION_CLASS}, {@link
 * #EXCEPTION_MESSAGE}, {@link #ATTEMPTS} and {@link #TIMESTAMP}. A record that came from a Kafka
 * topic (processor, DB sink, idempotent consumer) also carries {@link #TOPIC}, {@link #PARTITION}
 * and {@link #OFFSET}; an outbox row that the relay could not publish carries {@link #OUTBOX_ID}
 * and {@link #DESTINATION_TOPIC} instead, since it never was in a topic.
 */
public final class DeadLetterHeaders {
  /** The topic the record was consumed from. */
  public static final String TOPIC = "exactly.dlt.original.topic";

  /** Its partition, as a decimal string. */
  public static final String PARTITION = "exactly.dlt.original.partition";

  /** Its offset, as a decimal string. */
  public static final String OFFSET = "exactly.dlt.original.offset";

  /**
   * Its timestamp in epoch milliseconds, as a decimal string: the record's own timestamp, or the
   * time the outbox row was written.
   */
  public static final String TIMESTAMP = "exactly.dlt.original.timestamp";

  /** The outbox row's id, as a decimal string, for a row the relay gave up. */
  public static final String OUTBOX_ID = "exactly.dlt.outbox.id";

  /** The topic an outbox row was written for, for a row the relay gave up. */
  public static final String DESTINATION_TOPIC = "exactly.dlt.destination.topic";

  /** The fully qualified class of the exception that gave it up. */
  public static final String EXCEPTION_CLASS = "exactly.dlt.exception.class";

  /** That exception's message, empty when it had none. */
  public static final String EXCEPTION_MESSAGE = "exactly.dlt.exception.message";

  /** How many times processing was attempted, as a decimal string; at least 1. */
  public static final String ATTEMPTS = "exactly.dlt.attempts";

  /**
   * Why, as a {@link DeadLetterReason#code()}: {@code deserialization}, {@code non-retriable}...
   */
  public static final String REASON = "exactly.dlt.reason";

  private DeadLetterHeaders() {}
}
