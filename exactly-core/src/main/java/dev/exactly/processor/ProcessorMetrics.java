package dev.exactly.processor;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicLong;

/** The processor's meters, all under {@code exactly.processor.*}, tagged by group and instance. */
final class ProcessorMetrics {
  static final String PREFIX = "exactly.processor.";

  final Counter recordsIn;
  final Counter recordsOut;
  final Counter batches;
  final Counter commits;
  final Counter aborts;
  final Timer commitLatency;
  final Timer commitWait;
  final Counter deadLetters;
  final Counter rebalances;
  private final AtomicLong lag = new AtomicLong();

  ProcessorMetrics(MeterRegistry registry, String group, String instance) {
    Tags tags = Tags.of("group", group, "instance", instance);
    recordsIn = counter(registry, tags, "records.in", "Input records processed (every attempt)");
    recordsOut = counter(registry, tags, "records.out", "Output records sent (every attempt)");
    batches = counter(registry, tags, "batches", "Batches started");
    commits = counter(registry, tags, "commits", "Batches committed with their offsets");
    aborts = counter(registry, tags, "aborts", "Batches aborted; their inputs are reprocessed");
    deadLetters =
        counter(registry, tags, "dead.letters", "Input records sent to the dead-letter topic");
    rebalances = counter(registry, tags, "rebalances", "Partition revocations and losses");
    commitLatency =
        Timer.builder(PREFIX + "commit.latency")
            .description("Time to add offsets to the transaction and commit it")
            .tags(tags)
            .register(registry);
    commitWait =
        Timer.builder(PREFIX + "commit.wait")
            .description(
                "Time the engine stood idle waiting for the commit in flight (exactly-once commits"
                    + " run while the next batch is processed)")
            .tags(tags)
            .register(registry);
    Gauge.builder(PREFIX + "lag", lag, AtomicLong::get)
        .description("Input records behind the end of the assigned partitions, at the last poll")
        .tags(tags)
        .register(registry);
  }

  void lag(long value) {
    lag.set(value);
  }

  private static Counter counter(MeterRegistry r, Tags tags, String name, String description) {
    return Counter.builder(PREFIX + name).description(description).tags(tags).register(r);
  }
}
