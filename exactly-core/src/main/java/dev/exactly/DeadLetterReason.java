package dev.exactly;

import java.util.Arrays;

/**
 * Why a record was given up to a dead-letter topic: the value of {@link DeadLetterHeaders#REASON}.
 * Every engine uses the same codes, so one consumer of dead letters reads them all.
 */
public enum DeadLetterReason {
  /** The record's key or value could not be deserialized; the function never saw it. */
  DESERIALIZATION("deserialization"),
  /**
   * The function (or handler) threw an exception that retrying cannot help: a {@link
   * NonRetriableException} anywhere in the cause chain, a type configured as non-retriable, or a
   * serialization failure of an output.
   */
  NON_RETRIABLE("non-retriable"),
  /** Every attempt the {@link RetryPolicy} allows failed. */
  RETRIES_EXHAUSTED("retries-exhausted"),
  /** Kafka refused the record itself (too large, invalid): an outbox row the relay cannot send. */
  REFUSED_BY_KAFKA("refused-by-kafka");

  private final String code;

  DeadLetterReason(String code) {
    this.code = code;
  }

  /** The code written to the header, for example {@code retries-exhausted}. */
  public String code() {
    return code;
  }

  /**
   * The reason a header value names.
   *
   * @throws IllegalArgumentException if {@code code} is none of the codes above
   */
  public static DeadLetterReason ofCode(String code) {
    return Arrays.stream(values())
        .filter(r -> r.code.equals(code))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "no dead-letter reason has the code '"
                        + code
                        + "'; the codes are "
                        + Arrays.stream(values()).map(DeadLetterReason::code).toList()));
  }

  @Override
  public String toString() {
    return code;
  }
}
