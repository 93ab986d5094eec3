package dev.exactly.jdbc.sink;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** The sink's meters, one catalogue: every name starts {@code exactly.sink.}, tagged by group. */
final class SinkMetrics {
  static final String BATCH_SIZE = "exactly.sink.batch.size";
  static final String COMMIT_LATENCY = "exactly.sink.commit.latency";
  static final String FENCED_COMMITS = "exactly.sink.fenced.commits";
  static final String RETRIES = "exactly.sink.retries";
  static final String DEAD_LETTERED = "exactly.sink.dead.lettered";
  static final String RECORDS = "exactly.sink.records.committed";

  final DistributionSummary batchSize;
  final Timer commitLatency;
  final Counter fencedCommits;
  final Counter retries;
  final Counter deadLettered;
  final Counter records;

  SinkMetrics(MeterRegistry registry, String group) {
    batchSize =
        DistributionSummary.builder(BATCH_SIZE)
            .description("Records in each committed database transaction")
            .baseUnit("records")
            .tag("group", group)
            .register(registry);
    commitLatency =
        Timer.builder(COMMIT_LATENCY)
            .description("Time from opening a batch's transaction to its commit, handler included")
            .tag("group", group)
            .register(registry);
    fencedCommits =
        Counter.builder(FENCED_COMMITS)
            .description(
                "Batch commits refused because another instance claimed the partition since")
            .tag("group", group)
            .register(registry);
    retries =
        Counter.builder(RETRIES)
            .description("Batches retried after a transient database error")
            .tag("group", group)
            .register(registry);
    deadLettered =
        Counter.builder(DEAD_LETTERED)
            .description("Records sent to a dead-letter topic")
            .tag("group", group)
            .register(registry);
    records =
        Counter.builder(RECORDS)
            .description("Records whose rows and offsets committed")
            .tag("group", group)
            .register(registry);
  }
}
