package dev.exactly.cli.demo;

import dev.exactly.testkit.check.CheckReport;
import java.util.List;

/**
 * What the checker found at one stage's sink, with the times for the report.
 *
 * @param stage the stage and its sink, as the table shows it
 * @param report the checker's verdict
 * @param abortedReads records of aborted transactions a live {@code read_committed} reader saw; -1
 *     where the sink is not a transactional topic the monitor watched
 * @param effectTimesMs when each effect took effect, epoch ms (-1 unknown)
 * @param latenciesMs from an order's first HTTP request to its first effect here
 */
record StageResult(
    String stage,
    CheckReport report,
    int abortedReads,
    List<Long> effectTimesMs,
    List<Long> latenciesMs) {
  StageResult {
    effectTimesMs = List.copyOf(effectTimesMs);
    latenciesMs = List.copyOf(latenciesMs);
  }

  boolean exactlyOnce() {
    return report.isExactlyOnce() && abortedReads <= 0;
  }

  int inputs() {
    return report.expected();
  }

  int effects() {
    return report.observed();
  }

  int lost() {
    return report.lost().size();
  }

  int duplicated() {
    return report.duplicateEffects();
  }

  int reordered() {
    return report.orderViolations().size();
  }

  /** The p-th percentile (0..100) of the latencies, or -1 with none. */
  long latencyPercentile(double p) {
    if (latenciesMs.isEmpty()) {
      return -1;
    }
    List<Long> sorted = latenciesMs.stream().sorted().toList();
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
