package dev.exactly.dedup;

import dev.exactly.DeadLetterReason;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * One polled record and everything its batch has decided about it: its dedup key, the store's
 * answer, how handling went. The batch keeps one of these per record instead of parallel sets of
 * keys, claims and results.
 */
final class Item<K, V> {
  /** What became of the record in this batch. */
  enum Outcome {
    /** Not reached (yet), or left for the next poll without holding its key's claim. */
    PENDING,
    /** Its key was already done: skipped, counted, the listener told. */
    SKIPPED,
    /** The handler ran and returned: the key is completed with the batch. */
    SUCCEEDED,
    /** Written to the dead-letter topic; a claim it held is released. */
    DEAD_LETTERED,
    /**
     * Left for the next poll while holding its key's claim (stopping cut it short, or the batch
     * ended before it): the claim is released so the next poll can claim it at once.
     */
    LEFT
  }

  final ConsumerRecord<byte[], byte[]> raw;

  /** Null for a record that cannot be handled at all (not deserializable, no key). */
  final ConsumerRecord<K, V> record;

  /** The namespaced key; null when {@link #record} is. */
  final String dedupKey;

  /** The key to relay downstream; null when {@link #record} is. */
  final String idempotencyKey;

  /**
   * Why the record goes to the dead-letter topic, with {@link #failureReason}: set from the start
   * for a record that cannot be handled, by the handler's last failure otherwise; else null.
   */
  Exception failure;

  DeadLetterReason failureReason;

  /** The store's answer for {@link #dedupKey}, shared by the batch's records of that key. */
  Claim claim;

  /** Set by a worker with concurrency, read by the engine thread. */
  volatile Outcome outcome = Outcome.PENDING;

  /** Handler runs so far; 1 for a record that cannot be handled (it was tried once). */
  int attempts;

  /** What a successful handler returned, to store with the key; may be null. */
  StoredResult result;

  /**
   * Whether the key was completed in the effect's own transaction (a transactional handler), so the
   * batch's completion call leaves it out.
   */
  boolean completed;

  /**
   * With concurrency: whether the record's outcome is durable (its key completed in the store,
   * skipped as done, or dead-lettered), so the partition's offset may pass it. Set by a worker or
   * the completer, read by the engine thread.
   */
  volatile boolean settled;

  /**
   * With concurrency: the earlier record in flight with the same dedup key, whose claim this one
   * follows instead of claiming the key itself; skipped once that one succeeded.
   */
  volatile Item<K, V> follows;

  /** With concurrency: when the claim this record runs on was asked for, on the ticker. */
  long claimedAtNanos;

  /** With concurrency: whether the record waits for the engine to claim its key (again). */
  boolean needsClaim;

  /** With concurrency: when the engine looks at the waiting record again, in ticker millis. */
  long retryAtMillis;

  private Item(
      ConsumerRecord<byte[], byte[]> raw,
      ConsumerRecord<K, V> record,
      String dedupKey,
      String idempotencyKey,
      DeadLetterReason failureReason,
      Exception failure) {
    this.raw = raw;
    this.record = record;
    this.dedupKey = dedupKey;
    this.idempotencyKey = idempotencyKey;
    this.failureReason = failureReason;
    this.failure = failure;
    this.attempts = failure == null ? 0 : 1;
  }

  static <K, V> Item<K, V> good(
      ConsumerRecord<byte[], byte[]> raw,
      ConsumerRecord<K, V> record,
      String dedupKey,
      String idempotencyKey) {
    return new Item<>(raw, record, dedupKey, idempotencyKey, null, null);
  }

  static <K, V> Item<K, V> bad(
      ConsumerRecord<byte[], byte[]> raw, DeadLetterReason reason, Exception failure) {
    return new Item<>(raw, null, null, null, reason, failure);
  }

  /** Whether the record cannot be handled at all and goes straight to the dead-letter topic. */
  boolean unhandleable() {
    return record == null;
  }

  long offset() {
    return raw.offset();
  }

  TopicPartition partition() {
    return new TopicPartition(raw.topic(), raw.partition());
  }

  /** The claim this record's batch holds on its key, if the store answered CLAIMED. */
  Claim.Claimed claimed() {
    return claim instanceof Claim.Claimed c ? c : null;
  }

  /** Whether the batch must give its claim back: the key's effect did not complete here. */
  boolean mustRelease() {
    return claimed() != null && (outcome == Outcome.DEAD_LETTERED || outcome == Outcome.LEFT);
  }

  /** Whether the partition's committed offset may pass this record. */
  boolean done() {
    if (settled) {
      return true;
    }
    Item<K, V> f = follows;
    return f != null && outcome == Outcome.SKIPPED && f.settled;
  }

  IdempotentRecord<K, V> handlerRecord() {
    return new IdempotentRecord<>(record, dedupKey, idempotencyKey);
  }

  @Override
  public String toString() {
    return raw.topic() + "-" + raw.partition() + "@" + raw.offset() + " key " + dedupKey;
  }
}
