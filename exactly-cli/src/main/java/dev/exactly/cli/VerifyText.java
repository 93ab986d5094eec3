package dev.exactly.cli;

import dev.exactly.testkit.check.CheckReport;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Renders a {@link VerifyOutcome} for a person: one table per output, examples, a verdict. */
final class VerifyText {
  static final int EXAMPLES = 5;

  private VerifyText() {}

  static void print(VerifyOutcome outcome, PrintWriter out) {
    VerifyOutcome.Input in = outcome.input();
    out.printf("input %s%n", in.source());
    row(out, "records", in.records());
    row(out, "ids", in.ids());
    row(out, "repeated ids", in.repeatedIds().size());
    row(out, "without an id", in.withoutId());
    row(out, "stuck partitions", in.stuck().size());
    examples(
        out,
        "repeated id",
        new TreeMap<>(in.repeatedIds())
            .entrySet().stream().map(e -> e.getKey() + " x" + e.getValue()).toList());
    examples(out, "without an id", in.withoutIdExamples());
    examples(out, "stuck", in.stuck().stream().map(Object::toString).toList());
    for (VerifyOutcome.Output o : outcome.outputs()) {
      out.println();
      output(out, o, outcome.failOnAborted());
    }
    out.println();
    out.println(verdict(outcome));
  }

  private static void output(PrintWriter out, VerifyOutcome.Output o, boolean failOnAborted) {
    CheckReport r = o.report();
    out.printf(
        "output %-50s %s%n", r.source(), o.violated(failOnAborted) ? "VIOLATED" : "EXACTLY-ONCE");
    row(out, "inputs", r.expected());
    row(out, "effects", r.observed());
    row(out, "lost", r.lost().size());
    out.printf(
        "  %-18s %10d%s%n",
        "duplicated",
        r.duplicated().size(),
        r.duplicateEffects() == 0 ? "" : "  (" + r.duplicateEffects() + " extra effects)");
    row(out, "unexpected", r.unexpected().size());
    if (o.orderChecked()) {
      row(out, "reordered", r.orderViolations().size());
    } else {
      out.printf("  %-18s %10s%n", "reordered", "not checked");
    }
    if (o.kind().equals("topic")) {
      out.printf(
          "  %-18s %10d%s%n",
          "aborted", o.aborted(), o.aborted() > 0 && !failOnAborted ? "  (not a violation)" : "");
      row(out, "stuck partitions", o.stuck().size());
    }
    examples(out, "lost", r.lost());
    examples(out, "duplicated", r.duplicateExamples());
    examples(out, "unexpected", r.unexpected());
    examples(out, "reordered", r.orderViolations());
    examples(out, "aborted", o.abortedExamples());
    examples(out, "stuck", o.stuck().stream().map(Object::toString).toList());
  }

  static String verdict(VerifyOutcome outcome) {
    if (!outcome.violated()) {
      return String.format(
          "verdict: EXACTLY-ONCE: %d ids, each took effect once in %d output(s)",
          outcome.input().ids(), outcome.outputs().size());
    }
    long bad = outcome.outputs().stream().filter(o -> o.violated(outcome.failOnAborted())).count();
    return String.format(
        "verdict: VIOLATED in %d of %d output(s)%s",
        bad,
        outcome.outputs().size(),
        outcome.input().stuck().isEmpty() ? "" : ", and the input has stuck partitions");
  }

  private static void row(PrintWriter out, String name, long n) {
    out.printf("  %-18s %10d%n", name, n);
  }

  private static void examples(PrintWriter out, String what, List<String> items) {
    items.stream().limit(EXAMPLES).forEach(i -> out.printf("  e.g. %s: %s%n", what, i));
    if (items.size() > EXAMPLES) {
      out.printf("  ... and %d more %s%n", items.size() - EXAMPLES, what);
    }
  }

  static Map<String, List<String>> examplesOf(VerifyOutcome.Output o) {
    CheckReport r = o.report();
    return Map.of(
        "lost", first(r.lost()),
        "duplicated", first(r.duplicateExamples()),
        "unexpected", first(r.unexpected()),
        "reordered", first(r.orderViolations()),
        "aborted", first(o.abortedExamples()));
  }

  private static List<String> first(List<String> items) {
    return items.stream().limit(EXAMPLES).toList();
  }
}
