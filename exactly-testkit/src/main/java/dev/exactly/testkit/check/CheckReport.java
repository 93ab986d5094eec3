package dev.exactly.testkit.check;

import java.util.List;
import java.util.Map;

/**
 * What the checker found at one sink. Exactly-once holds when nothing is lost, duplicated,
 * unexpected or out of order.
 *
 * @param source the sink's name
 * @param expected how many inputs were expected to take effect
 * @param observed how many effects the sink holds
 * @param lost inputs with no effect (all of them, sorted)
 * @param duplicated inputs with more than one effect, and how many each had
 * @param unexpected effects for ids that were never input
 * @param orderViolations per-key order problems, each a readable sentence
 * @param duplicateExamples a few duplicated effects with the attempts that wrote them
 */
public record CheckReport(
    String source,
    int expected,
    int observed,
    List<String> lost,
    Map<String, Integer> duplicated,
    List<String> unexpected,
    List<String> orderViolations,
    List<String> duplicateExamples) {

  private static final int EXAMPLES = 5;

  public CheckReport {
    lost = List.copyOf(lost);
    duplicated = Map.copyOf(duplicated);
    unexpected = List.copyOf(unexpected);
    orderViolations = List.copyOf(orderViolations);
    duplicateExamples = List.copyOf(duplicateExamples);
  }

  public boolean isExactlyOnce() {
    return lost.isEmpty()
        && duplicated.isEmpty()
        && unexpected.isEmpty()
        && orderViolations.isEmpty();
  }

  /** Extra effects beyond one per input, summed over all duplicated inputs. */
  public int duplicateEffects() {
    return duplicated.values().stream().mapToInt(n -> n - 1).sum();
  }

  /**
   * @throws AssertionError with this report's summary when exactly-once does not hold
   */
  public CheckReport assertExactlyOnce() {
    if (!isExactlyOnce()) {
      throw new AssertionError("exactly-once violated\n" + summary());
    }
    return this;
  }

  /** A few lines a person can read: counts first, then a few examples of each problem. */
  public String summary() {
    StringBuilder s = new StringBuilder();
    s.append(String.format("%-40s %10s%n", source, isExactlyOnce() ? "EXACTLY-ONCE" : "VIOLATED"));
    s.append(String.format("  %-20s %10d%n", "expected", expected));
    s.append(String.format("  %-20s %10d%n", "observed", observed));
    s.append(String.format("  %-20s %10d%n", "lost", lost.size()));
    s.append(String.format("  %-20s %10d%n", "duplicated ids", duplicated.size()));
    s.append(String.format("  %-20s %10d%n", "unexpected", unexpected.size()));
    s.append(String.format("  %-20s %10d%n", "order violations", orderViolations.size()));
    examples(s, "lost", lost);
    examples(s, "duplicated", duplicateExamples);
    examples(s, "unexpected", unexpected);
    examples(s, "order", orderViolations);
    return s.toString();
  }

  private static void examples(StringBuilder s, String what, List<String> items) {
    items.stream()
        .limit(EXAMPLES)
        .forEach(i -> s.append("  e.g. ").append(what).append(": ").append(i).append('\n'));
  }

  @Override
  public String toString() {
    return summary();
  }
}
