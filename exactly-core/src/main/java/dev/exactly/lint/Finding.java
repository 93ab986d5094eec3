package dev.exactly.lint;

import java.util.Objects;

/**
 * One thing {@link ConfigLint} found in a configuration.
 *
 * @param severity how much it matters
 * @param source which configuration holds the key: {@code producer}, {@code consumer}, {@code
 *     streams}, {@code broker} or {@code cluster}
 * @param key the setting at fault, or a feature name such as {@code transaction.version}
 * @param value the value seen, as a string ({@code (default)} marks Kafka's default)
 * @param why what goes wrong with it
 * @param fix what to set instead
 * @param reference the Kafka document or KIP the rule rests on
 * @param limit the best guarantee left while this finding stands ({@link
 *     DeliveryGuarantee#EXACTLY_ONCE} when it does not weaken any)
 */
public record Finding(
    Severity severity,
    String source,
    String key,
    String value,
    String why,
    String fix,
    String reference,
    DeliveryGuarantee limit) {
  public Finding {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(why, "why");
    Objects.requireNonNull(fix, "fix");
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(limit, "limit");
  }

  /** One line: {@code ERROR producer acks=1: why; fix (reference)}. */
  @Override
  public String toString() {
    return severity + " " + source + " " + key + "=" + value + ": " + why + "; " + fix + " ("
        + reference + ")";
  }
}
