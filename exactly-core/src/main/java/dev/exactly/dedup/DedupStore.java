package dev.exactly.dedup;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * Remembers which keys took effect, so an effect runs once per key even when its record is
 * delivered again. The SPI behind the {@link IdempotentConsumer}.
 *
 * <p><b>Contract.</b> {@link #claim} decides per key, atomically, with the store's own
 * insert-if-absent (a unique index, {@code SET NX}, a script): of any number of concurrent callers
 * for one key, exactly one gets {@link Claim.Claimed} until its lease expires; never
 * read-then-write. A claim whose lease expired, and a completion whose retention expired, count as
 * absent and can be claimed again, also atomically. A batch costs a bounded number of round trips,
 * not one per key. Implementations are thread-safe.
 *
 * <p><b>Failures.</b> Every method throws {@link DedupStoreException} when the store cannot answer;
 * then nothing was decided for any key of that call.
 *
 * <p><b>Time.</b> Leases and retention run on the store's clock: an injected {@link
 * dev.exactly.Ticker} for the in-memory and JDBC stores (so instances sharing a database need
 * synchronized clocks, as with any lease), the server's clock for Redis.
 */
public interface DedupStore extends AutoCloseable {

  /**
   * Claims every key in one go.
   *
   * @param keys the keys, duplicates ignored; each at most {@link #MAX_KEY_LENGTH} characters
   * @param lease how long a claim stays exclusive without being completed or released
   * @return an answer for every distinct key, in the order given
   */
  Map<String, Claim> claim(Collection<String> keys, Duration lease);

  /**
   * Marks claimed keys done, to be remembered for {@code retention}.
   *
   * @param results a small result per key, for keys that have one
   * @return the keys whose claim this caller no longer held (its lease expired and another caller
   *     took the key over), which were not marked
   */
  Set<String> complete(
      Collection<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results);

  /**
   * Extends the leases of claims this caller still holds, so that an effect that runs longer than
   * one lease keeps its key. One round trip for the whole batch. A claim is extended only while the
   * stored claim still carries its token and is not done: a claim whose lease expired and that
   * another caller took over is neither extended nor taken back. One that expired and that nobody
   * took over may be extended (nobody else can have acted on it; the SQL stores do) or reported
   * lost (Redis, which deletes it on expiry). The claims passed in keep their old {@link
   * Claim.Claimed#leaseExpiry()}; a renewed lease ends {@code lease} after this call, by the
   * store's clock.
   *
   * @param claims claims from earlier {@link #claim} calls, of any number of calls
   * @param lease the new lease, counted from now
   * @return the keys whose lease was extended; a key missing from it is no longer this caller's
   *     (taken over, completed, released) and must not be treated as held
   */
  Set<String> extend(Collection<Claim.Claimed> claims, Duration lease);

  /** Frees claims after a failure so that a retry can claim them at once; others are untouched. */
  void release(Collection<Claim.Claimed> claims);

  /**
   * Deletes entries whose lease or retention has expired. Expired entries already count as absent;
   * purging only reclaims space. Stores that expire entries by themselves return 0.
   *
   * @return how many entries were deleted
   */
  int purgeExpired();

  /**
   * Asks the store for one trivial answer, so a health check can say whether the store is reachable
   * now rather than infer it from the consumer's last failed claim (which only comes with records
   * to claim, and says nothing while the topic is quiet). It changes nothing and is not retried.
   *
   * <p>The default throws {@link UnsupportedOperationException}: a store that cannot probe itself
   * is reported as unknown, never as reachable on a guess. The in-memory store answers at once; the
   * JDBC store runs a trivial query on its table; the Redis store sends {@code PING}.
   *
   * @param timeout how long to wait for the answer; a store bounds what it can (a JDBC store's
   *     statement, not the wait for a pooled connection, which its data source bounds)
   * @throws DedupStoreException when the store did not answer within {@code timeout} or answered
   *     with an error; the message names the store and the cause, never a credential
   * @throws UnsupportedOperationException when the store cannot be probed
   */
  default void ping(Duration timeout) {
    throw new UnsupportedOperationException(
        "dedup store " + name() + " (" + getClass().getName() + ") does not implement ping");
  }

  /** A short name for logs and metric tags, such as {@code postgresql:exactly_dedup}. */
  String name();

  /** The longest key a store must accept. */
  int MAX_KEY_LENGTH = 512;

  /** Releases connections the store opened itself; ones passed in by the user stay open. */
  @Override
  void close();
}
