package dev.exactly.dedup;

import dev.exactly.Ticker;
import dev.exactly.internal.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leases of the claims the consumer holds alive while their effects run, so a handler
 * (with its retries and backoffs) may take longer than one lease without another instance taking
 * its key over. Every {@code lease / 3} on the consumer's ticker it extends all held claims in one
 * {@link DedupStore#extend} call, on its own daemon thread.
 *
 * <p>A claim the store no longer holds for this instance (it expired while renewals failed, and
 * another instance took it) is reported lost: a WARN names its key, partition and offset, and
 * {@link #lost} tells the batch not to start or complete it as its own.
 *
 * <p>The engine thread {@link #hold holds} a batch's claims once claimed and {@link #drop drops}
 * them before it completes or releases them, so no renewal acts on a claim being ended; a claim
 * being completed inside the effect's own transaction is {@link #settling} meanwhile, since that
 * transaction's row lock keeps it (a renewal would only wait on the lock, then find it done).
 * Thread-safe.
 */
final class LeaseRenewer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseRenewer.class);

  private record Held(
      Claim.Claimed claim, TopicPartition partition, long offset, long claimedAtNanos) {}

  private final String name;
  private final DedupStore store;
  private final Duration lease;
  private final Duration interval;
  private final Ticker ticker;
  private final DedupMetrics metrics;
  private final long maxPollIntervalNanos;
  private final Map<String, Held> held = new LinkedHashMap<>();
  private final Set<String> settling = new HashSet<>();
  private final Set<String> lost = new HashSet<>();
  private Thread thread;
  private boolean closed;

  /** When the last successful renewal (or the claims held now) began, on the ticker. */
  private volatile long renewedAtNanos;

  /** Keys no longer renewed because they were held past max.poll.interval.ms (warned once). */
  private final Set<String> overran = new HashSet<>();

  LeaseRenewer(ConsumerSettings<?, ?> s, DedupMetrics metrics) {
    this.name = s.name();
    this.store = s.store();
    this.lease = s.lease();
    this.interval = s.lease().dividedBy(3);
    this.ticker = s.ticker();
    this.metrics = metrics;
    this.maxPollIntervalNanos = maxPollInterval(s.consumerProperties()).toNanos();
  }

  private static Duration maxPollInterval(Map<String, Object> consumerProperties) {
    Object v = consumerProperties.get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
    return Duration.ofMillis(v == null ? 300_000L : Long.parseLong(v.toString().trim()));
  }

  /**
   * Starts renewing {@code claim}, which the store granted no earlier than {@code claimedAtNanos}.
   */
  synchronized void hold(
      Claim.Claimed claim, TopicPartition partition, long offset, long claimedAtNanos) {
    if (closed) {
      return;
    }
    if (held.isEmpty()) {
      renewedAtNanos = claimedAtNanos;
    }
    held.putIfAbsent(claim.key(), new Held(claim, partition, offset, claimedAtNanos));
    lost.remove(claim.key());
    if (thread == null) {
      thread = new Thread(this::renewUntilClosed, "exactly-lease-renewer-" + name);
      thread.setDaemon(true);
      thread.start();
    }
    notifyAll();
  }

  /**
   * Stops renewing every claim held; the batch is about to complete or release them.
   *
   * @return the keys renewals found lost, which the batch must not complete as its own
   */
  synchronized Set<String> dropAll() {
    Set<String> wereLost = Set.copyOf(lost);
    held.clear();
    settling.clear();
    lost.clear();
    overran.clear();
    return wereLost;
  }

  /** Stops renewing {@code key}: its claim ended in the effect's own transaction. */
  synchronized void drop(String key) {
    held.remove(key);
    settling.remove(key);
    overran.remove(key);
  }

  /** Stops renewing the claims of partitions this instance no longer owns. */
  synchronized void forget(Collection<TopicPartition> partitions) {
    held.values().removeIf(h -> partitions.contains(h.partition()));
  }

  /** Whether {@code key}'s effect is being completed in its own transaction just now. */
  synchronized void settling(String key, boolean inTransaction) {
    if (inTransaction) {
      settling.add(key);
    } else {
      settling.remove(key);
    }
  }

  /**
   * Whether {@code key}'s claim is still renewed: held, and not past max.poll.interval.ms since it
   * was claimed. A record whose claim is not must claim its key afresh before it starts.
   */
  synchronized boolean renewing(String key) {
    return held.containsKey(key)
        && !overran.contains(key)
        && ticker.nanoTime() - held.get(key).claimedAtNanos() <= maxPollIntervalNanos;
  }

  /** Whether a renewal found {@code key}'s claim taken over: it is no longer this instance's. */
  synchronized boolean lost(String key) {
    return lost.contains(key);
  }

  /**
   * The ticker's time from which every held lease is known to run, for a check that enough of the
   * lease is left when renewals fail.
   */
  long renewedAtNanos() {
    return renewedAtNanos;
  }

  /** Stops the thread and waits for a renewal in progress, so none runs after the consumer. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      closed = true;
      held.clear();
      t = thread;
      notifyAll();
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(Duration.ofSeconds(10).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private synchronized boolean open() {
    return !closed;
  }

  private void renewUntilClosed() {
    while (awaitClaims()) {
      if (Waits.sleepWhileQuietly(ticker, interval, this::holding)) {
        renewOnce();
      }
    }
  }

  /**
   * A claim held max.poll.interval.ms after it was taken is not renewed any more, so a handler that
   * hangs cannot block its key forever: it passes on one lease after its last renewal. (The serial
   * consumer has stopped polling by then and Kafka has moved its partitions on; the concurrent one
   * keeps polling, so only that key's lane waits.) Warns once per key.
   */
  private boolean overran(String key, Held h, long now) {
    if (now - h.claimedAtNanos() <= maxPollIntervalNanos) {
      return false;
    }
    if (overran.add(key)) {
      log.warn(
          "{}: the claim on key {} ({} offset {}) has been held longer than max.poll.interval.ms"
              + " ({}): its handler hangs or runs long (or, with concurrency, it waits behind one"
              + " that does). It is no longer renewed and passes on when its lease ends; a record"
              + " still waiting claims its key afresh. Raise max.poll.interval.ms above the"
              + " slowest handler (with its retries), or lower max.poll.records",
          name,
          key,
          h.partition(),
          h.offset(),
          Duration.ofNanos(maxPollIntervalNanos));
    }
    return true;
  }

  private synchronized boolean holding() {
    return !closed && !held.isEmpty();
  }

  /** Waits, in real time, while nothing is held: the ticker is slept on only when it matters. */
  private synchronized boolean awaitClaims() {
    while (!closed && held.isEmpty()) {
      try {
        wait();
      } catch (InterruptedException e) {
        return false;
      }
    }
    return !closed;
  }

  /** One store call for every claim held and not settling. */
  void renewOnce() {
    List<Claim.Claimed> claims = new ArrayList<>();
    synchronized (this) {
      long now = ticker.nanoTime();
      held.forEach(
          (key, h) -> {
            if (!settling.contains(key) && !overran(key, h, now)) {
              claims.add(h.claim());
            }
          });
    }
    if (claims.isEmpty()) {
      return;
    }
    long startedAt = ticker.nanoTime();
    Set<String> extended;
    try {
      extended = metrics.timed(metrics.extendLatency, () -> store.extend(claims, lease));
    } catch (DedupStoreException e) {
      metrics.extendErrors.increment();
      log.warn(
          "{}: could not renew the leases of {} claims ({}); retrying in {}. Each stays this"
              + " instance's only until its lease ends unless a renewal gets through",
          name,
          claims.size(),
          e.getMessage(),
          interval);
      return;
    } catch (RuntimeException e) {
      if (open()) {
        // A store bug must not end renewals silently: the next round tries again.
        metrics.extendErrors.increment();
        log.warn("{}: renewing the leases of {} claims failed", name, claims.size(), e);
      }
      return;
    }
    synchronized (this) {
      for (Claim.Claimed c : claims) {
        Held h = held.get(c.key());
        if (extended.contains(c.key())
            || h == null
            || h.claim() != c
            || settling.contains(c.key())) {
          continue; // renewed, or ended or settling meanwhile: the engine decides those
        }
        held.remove(c.key());
        lost.add(c.key());
        metrics.leasesLost.increment();
        log.warn(
            "{}: lost the claim on key {} ({} offset {}) while holding it: its lease ended"
                + " before a renewal got through and another instance took it over. This"
                + " instance will not complete it; the new holder runs it. Check the store's"
                + " reachability, or lengthen dedup.lease",
            name,
            c.key(),
            h.partition(),
            h.offset());
      }
      // Every lease still held now runs from no earlier than the call's start; a newer batch's
      // claim time, set meanwhile, is kept.
      if (startedAt - renewedAtNanos > 0) {
        renewedAtNanos = startedAt;
      }
    }
  }
}
