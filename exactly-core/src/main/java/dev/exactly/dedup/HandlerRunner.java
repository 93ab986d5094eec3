package dev.exactly.dedup;

import dev.exactly.DeadLetterReason;
import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.RetryPolicy;
import dev.exactly.Ticker;
import dev.exactly.internal.Failures;
import dev.exactly.internal.Waits;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the user's handler for one claimed record, retrying an {@link Exception} by the {@link
 * RetryPolicy} on the consumer's ticker until it succeeds, is non-retriable, runs out of attempts,
 * or the consumer stops. An {@link Error} is not caught: it stops the consumer.
 *
 * <p>A transactional handler runs inside the store's transaction that completes its key, so each
 * attempt either commits effect and key together or rolls both back.
 */
final class HandlerRunner<K, V> {
  private static final Logger log = LoggerFactory.getLogger(HandlerRunner.class);

  /** How a run ended. */
  enum Result {
    SUCCEEDED,
    /** Give the record up: the item's failure, reason and attempts say why and how often. */
    FAILED,
    /** The consumer began stopping between two attempts; the effect did not complete. */
    STOPPED,
    /**
     * A transactional attempt found its claim gone (taken over, or already completed by an earlier
     * attempt whose commit reply was lost): nothing was written by it.
     */
    LOST
  }

  private final String name;
  private final IdempotentConsumer.ResultHandler<K, V> handler;
  private final IdempotentConsumer.TransactionalHandler<K, V> transactionalHandler;
  private final ConsumerSettings<K, V> settings;
  private final RetryPolicy retry;
  private final Failures failures;
  private final FaultInjection faults;
  private final Ticker ticker;
  private final DedupMetrics metrics;
  private final BooleanSupplier running;
  private final LeaseRenewer renewer;

  HandlerRunner(
      ConsumerSettings<K, V> s,
      DedupMetrics metrics,
      LeaseRenewer renewer,
      BooleanSupplier running) {
    this.name = s.name();
    this.handler = s.handler();
    this.transactionalHandler = s.transactionalHandler();
    this.settings = s;
    this.retry = s.retry();
    this.failures = s.failures();
    this.faults = s.faults();
    this.ticker = s.ticker();
    this.metrics = metrics;
    this.running = running;
    this.renewer = renewer;
  }

  /**
   * Runs the handler for {@code item}, setting its attempts and its result, or after {@link
   * Result#FAILED} its failure and reason.
   */
  Result run(Item<K, V> item) {
    IdempotentRecord<K, V> record = item.handlerRecord();
    for (int attempt = 1; ; attempt++) {
      item.attempts = attempt;
      long startedAt = ticker.nanoTime();
      try {
        if (transactionalHandler != null) {
          Result r = runInTransaction(item, record);
          metrics.handlerLatency.record(ticker.nanoTime() - startedAt, TimeUnit.NANOSECONDS);
          return r;
        }
        item.result = handler.handle(record);
        metrics.handlerLatency.record(ticker.nanoTime() - startedAt, TimeUnit.NANOSECONDS);
        // Inside the try: a crash test's runtime exception here counts as the handler's failure.
        faults.reached(FaultPoint.CONSUMER_AFTER_EFFECT);
        return Result.SUCCEEDED;
      } catch (Exception e) {
        item.result = null;
        metrics.handlerLatency.record(ticker.nanoTime() - startedAt, TimeUnit.NANOSECONDS);
        metrics.handlerFailures.increment();
        boolean nonRetriable = failures.isNonRetriable(e);
        if (nonRetriable || !retry.canRetryAfter(attempt)) {
          log.warn(
              "{}: handler failed for {} after {} attempt(s); dead-lettering",
              name,
              item,
              attempt,
              e);
          item.failure = e;
          item.failureReason =
              nonRetriable ? DeadLetterReason.NON_RETRIABLE : DeadLetterReason.RETRIES_EXHAUSTED;
          return Result.FAILED;
        }
        if (!Waits.sleepWhileQuietly(ticker, retry.backoffAfter(attempt), running)) {
          return Result.STOPPED;
        }
      }
    }
  }

  /**
   * One transactional attempt. The effect fault point is reached inside the transaction (written,
   * not committed): a crash there must lose the writes with the completion.
   */
  private Result runInTransaction(Item<K, V> item, IdempotentRecord<K, V> record) throws Exception {
    TransactionalDedupStore store = (TransactionalDedupStore) settings.store();
    // The transaction's row lock keeps the key while it runs; renewals resume if it fails.
    renewer.settling(item.dedupKey, true);
    boolean held;
    try {
      held =
          store.completeWith(
              item.claimed(),
              settings.retention(),
              connection -> {
                transactionalHandler.handle(record, connection);
                faults.reached(FaultPoint.CONSUMER_AFTER_EFFECT);
                return null;
              });
    } catch (Exception | Error e) {
      renewer.settling(item.dedupKey, false);
      throw e;
    }
    // Done, or no longer ours: either way the claim is over for this instance.
    renewer.drop(item.dedupKey);
    if (!held) {
      return Result.LOST;
    }
    item.completed = true;
    return Result.SUCCEEDED;
  }
}
