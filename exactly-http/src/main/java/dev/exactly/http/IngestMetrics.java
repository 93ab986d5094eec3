package dev.exactly.http;

import dev.exactly.internal.Meters;
import dev.exactly.internal.Metric;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/** The {@code exactly.http.*} meters, registered once so a request only increments. */
final class IngestMetrics {
  private final Map<Outcome, Counter> requests = new EnumMap<>(Outcome.class);
  private final Map<Outcome, Timer> latency = new EnumMap<>(Outcome.class);
  private final Counter replays;
  private final Counter inFlight;
  private final Counter mismatch;
  private final DistributionSummary commitGroup;

  IngestMetrics(MeterRegistry registry, String table) {
    Meters meters = new Meters(registry, Metric.C.HTTP, table, table);
    for (Outcome o : Outcome.values()) {
      requests.put(o, meters.counter(Metric.HTTP_REQUESTS, "outcome", o.tag));
      latency.put(o, meters.timer(Metric.HTTP_LATENCY, "outcome", o.tag));
    }
    replays = meters.counter(Metric.HTTP_REPLAYS);
    inFlight = meters.counter(Metric.HTTP_CONFLICTS, "reason", "in-flight");
    mismatch = meters.counter(Metric.HTTP_CONFLICTS, "reason", "mismatch");
    commitGroup = meters.summary(Metric.HTTP_COMMIT_GROUP);
  }

  void committed(int requests) {
    commitGroup.record(requests);
  }

  void answered(Outcome outcome, long nanos) {
    requests.get(outcome).increment();
    latency.get(outcome).record(Duration.ofNanos(nanos));
    switch (outcome) {
      case REPLAYED -> replays.increment();
      case IN_FLIGHT -> inFlight.increment();
      case MISMATCH -> mismatch.increment();
      default -> {}
    }
  }

  /** How a request ended, as the {@code outcome} tag spells it. */
  enum Outcome {
    ACCEPTED("accepted"),
    REPLAYED("replayed"),
    IN_FLIGHT("in-flight"),
    MISMATCH("mismatch"),
    REJECTED("rejected"),
    UNAVAILABLE("unavailable"),
    FAILED("failed");

    final String tag;

    Outcome(String tag) {
      this.tag = tag;
    }
  }
}
