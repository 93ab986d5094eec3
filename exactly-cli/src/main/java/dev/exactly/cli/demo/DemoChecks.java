package dev.exactly.cli.demo;

import dev.exactly.testkit.CountingHttpServer;
import dev.exactly.testkit.check.CheckReport;
import dev.exactly.testkit.check.Effect;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the checker at every sink of the pipeline once the run is over: which inputs each sink must
 * show once, where it reads them, and the latency of each first effect.
 */
final class DemoChecks {
  private final String bootstrap;
  private final DemoDatabase db;
  private final CountingHttpServer gateway;
  private final Map<String, Long> firstSentMs;

  DemoChecks(
      String bootstrap,
      DemoDatabase db,
      CountingHttpServer gateway,
      Map<String, Long> firstSentMs) {
    this.bootstrap = bootstrap;
    this.db = db;
    this.gateway = gateway;
    this.firstSentMs = firstSentMs;
  }

  /**
   * @param good well-formed accepted orders, each to be paid, stored, charged and notified once
   * @param malformed accepted orders each to reach the dead-letter topic once
   * @param paymentsAbortedReads what the live reader of {@code payments} saw of aborted attempts
   */
  List<StageResult> check(List<Input> good, List<Input> malformed, int paymentsAbortedReads)
      throws SQLException {
    List<Input> all = new ArrayList<>(good);
    all.addAll(malformed);
    all.sort(Comparator.comparing(Input::key).thenComparingLong(Input::sequence));
    List<StageResult> results = new ArrayList<>();
    results.add(
        check(
            "ingest  HTTP -> orders",
            all,
            ObservedEffects.ofOrderTopic(bootstrap, DemoTopics.ORDERS, true),
            -1));
    results.add(
        check(
            "fraud   orders -> payments",
            good,
            ObservedEffects.ofCodecTopic(bootstrap, DemoTopics.PAYMENTS),
            paymentsAbortedReads));
    results.add(
        check(
            "fraud   orders -> orders.dlt",
            malformed,
            ObservedEffects.ofOrderTopic(bootstrap, DemoTopics.ORDERS_DLT, false),
            -1));
    results.add(
        check(
            "ledger  payments -> processed_orders",
            good,
            ObservedEffects.ofTable(db, DemoTopics.PROCESSED_ORDERS),
            -1));
    results.add(
        check(
            "charge  payments -> gateway",
            good,
            ObservedEffects.ofCounted("gateway charges", gateway.effects()),
            -1));
    results.add(
        check(
            "charge  payments -> charges",
            good,
            ObservedEffects.ofTable(db, DemoTopics.CHARGES),
            -1));
    results.add(
        check(
            "relay   charges -> notifications",
            good,
            ObservedEffects.ofCodecTopic(bootstrap, DemoTopics.NOTIFICATIONS),
            -1));
    return results;
  }

  private StageResult check(
      String stage, List<Input> inputs, ObservedEffects effects, int abortedReads) {
    CheckReport report = new ExactlyOnceChecker(inputs).check(effects);
    List<Long> latencies = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    List<Effect> list = effects.effects();
    for (int i = 0; i < list.size(); i++) {
      String id = list.get(i).inputId();
      Long sent = firstSentMs.get(id);
      long at = effects.timesMs().get(i);
      if (sent != null && at >= 0 && seen.add(id)) {
        latencies.add(Math.max(0, at - sent));
      }
    }
    return new StageResult(stage, report, abortedReads, effects.timesMs(), latencies);
  }
}
