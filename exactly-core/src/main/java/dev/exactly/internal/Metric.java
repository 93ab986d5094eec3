package dev.exactly.internal;

import java.util.EnumSet;
import java.util.Set;

/**
 * The one catalogue of Exactly's meters: one name per concept across components, the same tags
 * everywhere ({@code component}, {@code group}, {@code instance}, plus the extra tags named here).
 * {@code docs/metrics.md} is this table for users; a test keeps the two equal, and each component's
 * test checks it registers exactly the meters listed for it.
 */
public enum Metric {
  RECORDS_IN(
      "exactly.records.in",
      Type.COUNTER,
      "Input records handled, every attempt counted",
      C.PROCESSOR,
      C.CONSUMER,
      C.SINK),
  RECORDS_OUT(
      "exactly.records.out",
      Type.COUNTER,
      "Output records the processor sent, every attempt counted",
      C.PROCESSOR),
  RECORDS_COMMITTED(
      "exactly.records.committed",
      Type.COUNTER,
      "Inputs whose effect is committed: records written with their offsets (DB sink), outbox rows"
          + " published in a committed transaction (relay)",
      C.SINK,
      C.RELAY),
  DEAD_LETTERS(
      "exactly.dead.letters",
      Type.COUNTER,
      "Records given up to the dead-letter topic",
      C.PROCESSOR,
      C.CONSUMER,
      C.SINK,
      C.RELAY),
  HANDLER_FAILURES(
      "exactly.handler.failures",
      Type.COUNTER,
      "Calls of the user's function or handler that threw",
      C.CONSUMER),
  RETRIES("exactly.retries", Type.COUNTER, "Batches tried again after a transient failure", C.SINK),
  BATCHES("exactly.batches", Type.COUNTER, "Batches started", C.PROCESSOR),
  BATCH_SIZE("exactly.batch.size", Type.SUMMARY, "Records in each committed batch", C.SINK),
  COMMITS("exactly.commits", Type.COUNTER, "Batches committed with their offsets", C.PROCESSOR),
  ABORTS(
      "exactly.aborts",
      Type.COUNTER,
      "Batches aborted; their inputs are processed again (the processor never aborts for a"
          + " failure of its function: that is retried in place)",
      C.PROCESSOR,
      C.RELAY),
  FENCED_COMMITS(
      "exactly.fenced.commits",
      Type.COUNTER,
      "Commits refused because another instance owns the partition now",
      C.SINK),
  COMMIT_LATENCY(
      "exactly.commit.latency",
      Type.TIMER,
      "Time to commit a batch with its offsets",
      C.PROCESSOR,
      C.SINK),
  COMMIT_WAIT(
      "exactly.commit.wait",
      Type.TIMER,
      "Time the engine stood idle waiting for the commit in flight",
      C.PROCESSOR),
  REBALANCES("exactly.rebalances", Type.COUNTER, "Partition revocations and losses", C.PROCESSOR),
  TRANSACTION_TIMEOUTS(
      "exactly.transaction.timeouts",
      Type.COUNTER,
      "Batches whose transaction outlived transaction.timeout.ms and were redone",
      C.PROCESSOR),
  LAG(
      "exactly.lag",
      Type.GAUGE,
      "Input records behind the end of the assigned partitions, at the last poll: not yet"
          + " polled, so records polled and still in hand are not counted",
      C.PROCESSOR,
      C.CONSUMER,
      C.SINK),

  DEDUP_CLAIMS(
      "exactly.dedup.claims", Type.COUNTER, "Dedup keys claimed to run their effect", C.CONSUMER),
  DEDUP_DUPLICATES(
      "exactly.dedup.duplicates.skipped",
      Type.COUNTER,
      "Records skipped because their key's effect already completed",
      C.CONSUMER),
  DEDUP_HANDLERS_IN_FLIGHT(
      "exactly.dedup.handlers.inflight",
      Type.GAUGE,
      "Handlers running now: up to the concurrency setting",
      C.CONSUMER),
  DEDUP_HANDLER_LATENCY(
      "exactly.dedup.handler.latency",
      Type.TIMER,
      "Time of one handler attempt, its remote call included",
      C.CONSUMER),
  DEDUP_INFLIGHT_WAITS(
      "exactly.dedup.inflight.waits",
      Type.COUNTER,
      "Claims refused because another holder's lease on the key was live",
      C.CONSUMER),
  DEDUP_LEASES_LOST(
      "exactly.dedup.leases.lost",
      Type.COUNTER,
      "Claims found passed to another holder (lease ended) by a renewal or a complete",
      C.CONSUMER),
  DEDUP_RECLAIMS(
      "exactly.dedup.reclaims",
      Type.COUNTER,
      "Records that claim their key afresh before running: less than half their claim's lease"
          + " remained (renewals failing), or with concurrency the claim waited past"
          + " max.poll.interval.ms",
      C.CONSUMER),
  DEDUP_WORKER_WAIT(
      "exactly.dedup.worker.wait",
      Type.TIMER,
      "With concurrency: time a lane (a key's records) with a record ready to run waited for a free"
          + " worker",
      C.CONSUMER),
  DEDUP_WATERMARK_LAG(
      "exactly.dedup.watermark.lag",
      Type.GAUGE,
      "Records polled from a partition and not yet committed past (tags topic, partition): one past"
          + " the last polled offset minus the partition's watermark, its lowest record not yet done",
      C.CONSUMER),
  DEDUP_STORE_LATENCY(
      "exactly.dedup.store.latency",
      Type.TIMER,
      "Time of one dedup-store round trip; tag op = claim, extend, complete or release",
      C.CONSUMER),
  DEDUP_STORE_ERRORS(
      "exactly.dedup.store.errors",
      Type.COUNTER,
      "Dedup-store calls that failed; tag op = claim, extend, complete or release",
      C.CONSUMER),
  DEDUP_RETENTION_SHORT(
      "exactly.dedup.retention.short",
      Type.GAUGE,
      "1 when the store forgets keys sooner than the topic keeps records, 0 when not, -1 until the"
          + " topic's retention could be read",
      C.CONSUMER),

  OUTBOX_BACKLOG("exactly.outbox.backlog", Type.GAUGE, "Outbox rows not yet published", C.RELAY),
  OUTBOX_BACKLOG_AGE(
      "exactly.outbox.backlog.oldest.age",
      Type.GAUGE,
      "Age in seconds of the oldest row not yet published",
      C.RELAY),
  OUTBOX_GAPS(
      "exactly.outbox.gaps",
      Type.GAUGE,
      "Ids skipped by a commit order that the relay is waiting for",
      C.RELAY),
  OUTBOX_GAPS_ABANDONED(
      "exactly.outbox.gaps.abandoned",
      Type.COUNTER,
      "Gaps given up because no open transaction can commit them (their transaction rolled back)",
      C.RELAY),
  OUTBOX_GAPS_TIMED_OUT(
      "exactly.outbox.gaps.timed.out",
      Type.COUNTER,
      "Gaps given up after the gap timeout because the database does not show open transactions",
      C.RELAY),
  OUTBOX_GAPS_DROPPED(
      "exactly.outbox.gaps.dropped",
      Type.COUNTER,
      "Awaited ids given up without proof: over the position's limit, or in a jump awaited too long",
      C.RELAY),
  OUTBOX_LATE_ROWS(
      "exactly.outbox.late.rows",
      Type.COUNTER,
      "Rows published after the gap timeout had given their id up",
      C.RELAY),
  OUTBOX_DELETED(
      "exactly.outbox.deleted", Type.COUNTER, "Published rows deleted by cleanup", C.RELAY),
  OUTBOX_LATENCY(
      "exactly.outbox.latency", Type.TIMER, "Time from a row's write to its publication", C.RELAY),

  COMPONENT_STATE(
      "exactly.component.state",
      Type.GAUGE,
      "1 for the component's current state, 0 for the others; tag state = CREATED, STARTING,"
          + " STANDBY, RUNNING, CLOSING, CLOSED, FAILED or FENCED",
      C.PROCESSOR,
      C.CONSUMER,
      C.SINK,
      C.RELAY),

  TRANSACTIONS_HANGING(
      "exactly.transactions.hanging",
      Type.GAUGE,
      "Transactions open on partitions whose producer has not written for the --older-than"
          + " threshold, at the last check",
      C.TRANSACTIONS),
  TRANSACTIONS_HANGING_AGE(
      "exactly.transactions.hanging.oldest.age",
      Type.GAUGE,
      "Seconds since the producer of the oldest of those transactions last wrote; 0 when none",
      C.TRANSACTIONS),

  HTTP_REQUESTS(
      "exactly.http.requests",
      Type.COUNTER,
      "Requests answered; tag outcome = accepted, replayed, in-flight, mismatch, rejected,"
          + " unavailable or failed",
      C.HTTP),
  HTTP_REPLAYS(
      "exactly.http.replays",
      Type.COUNTER,
      "Retries answered with the stored response of their key; nothing published again",
      C.HTTP),
  HTTP_CONFLICTS(
      "exactly.http.conflicts",
      Type.COUNTER,
      "Keys refused: tag reason = in-flight (409) or mismatch (422, another payload)",
      C.HTTP),
  HTTP_LATENCY(
      "exactly.http.latency",
      Type.TIMER,
      "Time to answer a request, database transaction included; tag outcome as for requests",
      C.HTTP),
  HTTP_COMMIT_GROUP(
      "exactly.http.commit.group",
      Type.SUMMARY,
      "Requests in each database transaction the ingest committed (group commit)",
      C.HTTP);

  /** The kind of meter. */
  public enum Type {
    COUNTER,
    TIMER,
    GAUGE,
    SUMMARY
  }

  /** The components, as the {@code component} tag spells them. */
  public static final class C {
    public static final String PROCESSOR = "processor";
    public static final String CONSUMER = "idempotent-consumer";
    public static final String SINK = "db-sink";
    public static final String RELAY = "outbox-relay";
    public static final String HTTP = "http-ingest";

    /** {@code exactly transactions find-hanging --watch}, which checks the whole cluster. */
    public static final String TRANSACTIONS = "transactions";

    private C() {}
  }

  private final String meterName;
  private final Type type;
  private final String description;
  private final Set<String> components;

  Metric(String meterName, Type type, String description, String... components) {
    this.meterName = meterName;
    this.type = type;
    this.description = description;
    this.components = Set.of(components);
  }

  public String meterName() {
    return meterName;
  }

  public Type type() {
    return type;
  }

  public String description() {
    return description;
  }

  /** The components that register this meter ({@link C}'s names). */
  public Set<String> components() {
    return components;
  }

  /** The meters {@code component} registers. */
  public static Set<Metric> of(String component) {
    Set<Metric> out = EnumSet.noneOf(Metric.class);
    for (Metric m : values()) {
      if (m.components.contains(component)) {
        out.add(m);
      }
    }
    return out;
  }
}
