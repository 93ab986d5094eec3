package dev.exactly.cli.demo;

import java.util.List;
import java.util.SortedMap;

/**
 * Everything one demo run found, for the table and the HTML report.
 *
 * @param guarantee which components ran
 * @param brokers how many brokers
 * @param load what the HTTP clients did
 * @param loadStartMs epoch ms the first order was sent: time zero of the charts
 * @param elapsedMs the whole run, broker start to verdict
 * @param kills every SIGKILL, in order
 * @param crashes stages that stopped by themselves (restarted), with where to read why
 * @param stages the checker's verdict per stage
 * @param chargesPerOrder how many orders the gateway charged 0, 1, 2... times
 */
record DemoResult(
    DemoGuarantee guarantee,
    int brokers,
    LoadSummary load,
    long loadStartMs,
    long elapsedMs,
    List<Killer.Kill> kills,
    List<String> crashes,
    List<StageResult> stages,
    SortedMap<Integer, Integer> chargesPerOrder) {

  /** What the HTTP clients did. */
  record LoadSummary(
      int orders,
      int requests,
      int accepted,
      int malformed,
      int retries,
      int repeats,
      int replayed,
      int refused) {}

  DemoResult {
    kills = List.copyOf(kills);
    crashes = List.copyOf(crashes);
    stages = List.copyOf(stages);
  }

  boolean exactlyOnce() {
    return load.refused() == 0 && stages.stream().allMatch(StageResult::exactlyOnce);
  }
}
