package dev.exactly.cli;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The one-line progress report of a long-running command, read from its component's counters: the
 * same numbers Prometheus sees on {@code --metrics-port}, summed over their tags.
 */
final class Progress {
  private final MeterRegistry registry;
  private final Map<String, String> labels = new LinkedHashMap<>();

  private Progress(MeterRegistry registry) {
    this.registry = registry;
  }

  static Progress of(MeterRegistry registry) {
    return new Progress(registry);
  }

  /**
   * Adds a figure: {@code label} followed by the total of the counters, or gauges, named {@code
   * meterName}.
   */
  Progress count(String label, String meterName) {
    labels.put(label, meterName);
    return this;
  }

  /** The figures' current values. */
  Map<String, Long> values() {
    Map<String, Long> out = new LinkedHashMap<>();
    labels.forEach(
        (label, meter) -> {
          double counted =
              registry.find(meter).counters().stream().mapToDouble(Counter::count).sum();
          double gauged = registry.find(meter).gauges().stream().mapToDouble(Gauge::value).sum();
          out.put(label, Math.round(counted + (Double.isNaN(gauged) ? 0 : gauged)));
        });
    return out;
  }

  /** {@code handled 120, committed 118, dead-lettered 2}. */
  String line() {
    StringJoiner j = new StringJoiner(", ");
    values().forEach((label, n) -> j.add(label + " " + n));
    return j.toString();
  }
}
