package dev.exactly.testkit.check;

import java.util.Objects;

/**
 * One effect observed at a sink: an output record, a table row, a counted HTTP call.
 *
 * @param inputId the input it acts for
 * @param attemptId the processing attempt that wrote it (instance, batch, try), for examples in
 *     reports; empty where the sink cannot tell
 * @param where a human-readable location, such as {@code payments-3@1042}, for examples
 */
public record Effect(String inputId, String attemptId, String where) {
  public Effect {
    Objects.requireNonNull(inputId, "inputId");
    Objects.requireNonNull(attemptId, "attemptId");
    Objects.requireNonNull(where, "where");
  }
}
