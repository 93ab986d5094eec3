package dev.exactly.cli;

import dev.exactly.testkit.check.CheckReport;
import java.util.List;
import java.util.Map;

/**
 * What {@code exactly verify} found: the input and, for each output, the checker's report, the
 * aborted records and the partitions stuck behind an open transaction.
 *
 * @param input what the input topic holds
 * @param outputs one per output, in the order given on the command line
 * @param failOnAborted whether aborted records alone make the verdict a violation
 */
record VerifyOutcome(Input input, List<Output> outputs, boolean failOnAborted) {

  /** A partition whose last stable offset stayed behind its end for the whole settle time. */
  record Stuck(String partition, long lastStableOffset, long endOffset, String heldBy) {
    @Override
    public String toString() {
      return partition
          + " LSO "
          + lastStableOffset
          + " < end "
          + endOffset
          + (heldBy.isEmpty() ? "" : " held by " + heldBy);
    }
  }

  /**
   * @param source such as {@code topic orders (read_committed)}
   * @param records records read
   * @param ids distinct ids among them
   * @param repeatedIds ids the input holds more than once, with how many times
   * @param withoutId records without an id where {@code --id} looks
   * @param withoutIdExamples a few of them, as {@code topic-p@offset}
   * @param stuck input partitions stuck behind an open transaction
   */
  record Input(
      String source,
      int records,
      int ids,
      Map<String, Integer> repeatedIds,
      int withoutId,
      List<String> withoutIdExamples,
      List<Stuck> stuck) {
    Input {
      repeatedIds = Map.copyOf(repeatedIds);
      withoutIdExamples = List.copyOf(withoutIdExamples);
      stuck = List.copyOf(stuck);
    }
  }

  /**
   * @param kind {@code topic} or {@code table}
   * @param report the checker's comparison of the input's ids with this output's effects
   * @param orderChecked whether per-key order was checked here
   * @param aborted records only a {@code read_uncommitted} reader sees (always 0 for a table)
   * @param abortedExamples a few of them, as {@code topic-p@offset id}
   * @param stuck partitions stuck behind an open transaction
   */
  record Output(
      String kind,
      CheckReport report,
      boolean orderChecked,
      int aborted,
      List<String> abortedExamples,
      List<Stuck> stuck) {
    Output {
      abortedExamples = List.copyOf(abortedExamples);
      stuck = List.copyOf(stuck);
    }

    boolean violated(boolean failOnAborted) {
      return !report.isExactlyOnce() || !stuck.isEmpty() || (failOnAborted && aborted > 0);
    }
  }

  VerifyOutcome {
    outputs = List.copyOf(outputs);
  }

  boolean violated() {
    return !input.stuck().isEmpty() || outputs.stream().anyMatch(o -> o.violated(failOnAborted));
  }

  /** 0 when every output took every input exactly once, 1 otherwise. */
  int exitCode() {
    return violated() ? VerifyCommand.VIOLATED : VerifyCommand.CLEAN;
  }
}
