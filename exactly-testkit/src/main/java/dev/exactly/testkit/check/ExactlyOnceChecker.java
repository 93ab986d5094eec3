package dev.exactly.testkit.check;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares what a pipeline was given with what each sink shows: every input must take effect
 * exactly once, and, where the sink keeps order, a key's inputs must take effect in sequence.
 *
 * <pre>{@code
 * ExactlyOnceChecker checker = new ExactlyOnceChecker(inputs);
 * checker.check(new TopicEffects(bootstrap, "payments", ...)).assertExactlyOnce();
 * }</pre>
 *
 * <p>Order is checked on the first effect of each input: a duplicate is reported as a duplicate,
 * not again as reordering. A key whose sequence skips an input that is lost is reported as lost,
 * and the gap as an order violation only when the skipped input took effect later (reordering).
 */
public final class ExactlyOnceChecker {
  private final Map<String, Input> inputs;
  private final Map<String, Integer> repeatedInputIds;

  /**
   * @throws IllegalArgumentException when two inputs share an id: a generated test input never does
   */
  public ExactlyOnceChecker(List<Input> inputs) {
    this(inputs, false);
  }

  private ExactlyOnceChecker(List<Input> inputs, boolean allowRepeats) {
    Map<String, Input> byId = new LinkedHashMap<>();
    Map<String, Integer> repeated = new TreeMap<>();
    for (Input input : inputs) {
      if (byId.putIfAbsent(input.id(), input) != null) {
        if (!allowRepeats) {
          throw new IllegalArgumentException("input id " + input.id() + " given twice");
        }
        repeated.merge(input.id(), 2, (n, one) -> n + 1);
      }
    }
    this.inputs = byId;
    this.repeatedInputIds = Collections.unmodifiableMap(repeated);
  }

  /**
   * A checker for inputs read from the outside world, where an id can come twice (a producer that
   * retried without idempotence, say). Each id is still expected to take effect exactly once; its
   * first input gives its key and sequence, and the repeats are reported by {@link
   * #repeatedInputIds()} rather than refused.
   */
  public static ExactlyOnceChecker allowingRepeatedIds(List<Input> inputs) {
    return new ExactlyOnceChecker(inputs, true);
  }

  /** How many distinct ids are expected to take effect, once each. */
  public int expectedCount() {
    return inputs.size();
  }

  /** Ids the inputs hold more than once, and how many times each, sorted by id. */
  public Map<String, Integer> repeatedInputIds() {
    return repeatedInputIds;
  }

  public CheckReport check(EffectSource source) {
    List<Effect> effects = source.read();
    Map<String, Integer> counts = new HashMap<>();
    Map<String, List<String>> attempts = new HashMap<>();
    List<String> unexpected = new ArrayList<>();
    Map<String, List<Input>> firstEffectOrderByKey = new LinkedHashMap<>();
    for (Effect e : effects) {
      Input input = inputs.get(e.inputId());
      if (input == null) {
        unexpected.add(e.inputId() + " at " + e.where());
        continue;
      }
      int n = counts.merge(e.inputId(), 1, Integer::sum);
      attempts
          .computeIfAbsent(e.inputId(), k -> new ArrayList<>())
          .add(e.where() + (e.attemptId().isEmpty() ? "" : " by " + e.attemptId()));
      if (n == 1) {
        firstEffectOrderByKey.computeIfAbsent(input.key(), k -> new ArrayList<>()).add(input);
      }
    }
    List<String> lost = new ArrayList<>(new TreeSet<>(missing(counts)));
    Map<String, Integer> duplicated = new TreeMap<>();
    List<String> duplicateExamples = new ArrayList<>();
    counts.forEach(
        (id, n) -> {
          if (n > 1) {
            duplicated.put(id, n);
          }
        });
    duplicated.keySet().stream()
        .limit(10)
        .forEach(
            id -> duplicateExamples.add(id + " x" + duplicated.get(id) + " " + attempts.get(id)));
    List<String> order = source.keepsOrder() ? orderViolations(firstEffectOrderByKey) : List.of();
    return new CheckReport(
        source.name(),
        inputs.size(),
        effects.size(),
        lost,
        duplicated,
        unexpected,
        order,
        duplicateExamples);
  }

  private List<String> missing(Map<String, Integer> counts) {
    List<String> lost = new ArrayList<>();
    for (String id : inputs.keySet()) {
      if (!counts.containsKey(id)) {
        lost.add(id);
      }
    }
    return lost;
  }

  private static List<String> orderViolations(Map<String, List<Input>> byKey) {
    List<String> violations = new ArrayList<>();
    byKey.forEach(
        (key, seen) -> {
          for (int i = 1; i < seen.size(); i++) {
            Input before = seen.get(i - 1);
            Input after = seen.get(i);
            if (after.sequence() < before.sequence()) {
              violations.add(
                  "key "
                      + key
                      + ": sequence "
                      + after.sequence()
                      + " ("
                      + after.id()
                      + ") took effect after "
                      + before.sequence()
                      + " ("
                      + before.id()
                      + ")");
            }
          }
        });
    return violations;
  }
}
