package dev.exactly.processor;

import dev.exactly.internal.TransactionErrors;
import dev.exactly.internal.TransactionErrors.Call;
import dev.exactly.internal.TransactionErrors.Reaction;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor's one reaction to a failed call of its transactional producer, by the error's class
 * ({@link TransactionErrors}, KIP-1050):
 *
 * <ul>
 *   <li>{@link Reaction#RETRY_COMMIT}: {@link #retryCommit} says to call {@code commitTransaction}
 *       again; a commit given up (only when closing past the deadline) is never aborted.
 *   <li>{@link Reaction#ABORT_AND_REWIND}: abort, seek every partition back to its last commit,
 *       redo the work.
 *   <li>{@link Reaction#RECREATE_PRODUCER}: close the producer, make a new one, {@code
 *       initTransactions}, then rewind and redo the work (the old transaction died with the
 *       coordinator's memory of the producer).
 *   <li>{@link Reaction#FENCED}: throws {@link Fenced}; the engine stops {@code FENCED}. Except two
 *       cases that Kafka 4.x (transaction version 2) reports with the same classes, where the
 *       coordinator itself bumped the epoch by aborting a transaction that outlived {@code
 *       transaction.timeout.ms}: {@link InvalidProducerEpochException} alone is answered by an
 *       abort, which completes after such a timeout (the batch is redone with the same producer)
 *       and throws {@code ProducerFencedException} after real fencing; and a fencing error from a
 *       transaction that was open longer than {@code transaction.timeout.ms} recreates the
 *       producer, since the old one is left in a fatal state. Both are logged naming the setting
 *       and counted in {@code exactly.transaction.timeouts}.
 *   <li>{@link Reaction#FATAL}: throws {@link Fatal}; the engine stops {@code FAILED} with the
 *       error as its {@code failure()}.
 * </ul>
 *
 * <p>An abort that times out is called again: like a timed-out commit, it resumes where it stopped
 * (the broker or the network was slow, nothing is known to be wrong), until it completes or the
 * processor closes past its deadline.
 *
 * <p>Engine thread only.
 */
final class TransactionFailureHandler {
  private static final Logger log = LoggerFactory.getLogger(TransactionFailureHandler.class);

  /** What the engine does for a reaction; each called on the engine thread. */
  interface Actions {
    /** Aborts the open transaction, if one is open. */
    void abort();

    /** Drops the open batch and seeks every owned partition back to its last commit. */
    void rewind();

    /** Closes the producer and makes a new one, with its transactions initialized. */
    void recreateProducer();

    /** Forgets a transaction left to the broker to end: it is not aborted again. */
    void abandon();

    /** Counts a transaction that outlived {@code transaction.timeout.ms}. */
    void timedOut();
  }

  /** A failure no retry can mend: the engine stops FAILED with the cause as its failure. */
  static final class Fatal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Fatal(Throwable cause) {
      super(cause);
    }
  }

  private final String name;
  private final Actions actions;
  private final BooleanSupplier giveUp;
  private final Duration transactionTimeout;

  /**
   * @param giveUp true once the processor is closing past its deadline: a timed-out abort is then
   *     left to the broker instead of being called again
   * @param transactionTimeout the producer's {@code transaction.timeout.ms}, for the log
   */
  TransactionFailureHandler(
      String name, Actions actions, BooleanSupplier giveUp, Duration transactionTimeout) {
    this.name = name;
    this.actions = actions;
    this.giveUp = giveUp;
    this.transactionTimeout = transactionTimeout;
  }

  /**
   * Whether a {@code commitTransaction} that threw {@code failure} is to be called again: a timeout
   * resumes the same commit. Called on the committer thread.
   *
   * @param giveUp true once the processor is closing past its deadline
   */
  boolean retryCommit(Throwable failure, boolean giveUp) {
    return !giveUp && TransactionErrors.classify(failure, Call.COMMIT) == Reaction.RETRY_COMMIT;
  }

  /**
   * Reacts to {@code failure} of {@code call}. Returns once the batch is rewound and the producer
   * is ready for the work to be redone.
   *
   * @return the reaction taken
   * @throws Fenced if this instance is fenced
   * @throws Fatal if the processor must stop failed
   */
  Reaction handle(Throwable failure, Call call, long batch) {
    return handle(failure, call, batch, false);
  }

  /**
   * Reacts to {@code failure} of {@code call} in a transaction that was open longer than {@code
   * transaction.timeout.ms} when it failed, if {@code outlivedTimeout}.
   */
  Reaction handle(Throwable failure, Call call, long batch, boolean outlivedTimeout) {
    if (TransactionErrors.epochBumped(failure)) {
      // Only an abort tells a coordinator's timeout from another instance: it throws
      // ProducerFencedException (stop FENCED) in the second case only.
      abort(failure, batch);
      if (outlivedTimeout) {
        timedOut(batch, failure, "aborted it; redoing the batch");
      } else {
        log.warn(
            "processor {}: batch {} failed ({}); the abort completed, so no other instance holds"
                + " the transactional id; redoing the batch",
            name,
            batch,
            failure.toString());
      }
      actions.rewind();
      return Reaction.ABORT_AND_REWIND;
    }
    if (outlivedTimeout && TransactionErrors.endedByCoordinator(failure)) {
      // The coordinator aborted the transaction and bumped the epoch; the offsets call or commit
      // that went on left this producer in a fatal state. The class alone does not say who bumped
      // the epoch (sendOffsetsToTransaction gets ProducerFencedException either way); the age
      // does. Were another instance holding the id as well, the new producer fences it in turn,
      // and that one stops FENCED, its own transactions being young.
      timedOut(batch, failure, "redoing the batch with a new producer");
      actions.recreateProducer();
      actions.rewind();
      return Reaction.RECREATE_PRODUCER;
    }
    Reaction reaction = TransactionErrors.classify(failure, call);
    switch (reaction) {
      case FENCED -> throw new Fenced(failure);
      case FATAL -> {
        if (failure instanceof Error e) {
          throw e;
        }
        throw new Fatal(failure);
      }
      case RETRY_COMMIT -> {
        // Given up while closing: aborting could abort a transaction the coordinator is already
        // committing, so the batch is only forgotten; the commit completes or times out on the
        // broker, and the next owner reads the committed offsets either way.
        log.warn(
            "processor {}: commit of batch {} timed out while closing; leaving it to the broker",
            name,
            batch);
        actions.rewind();
      }
      case ABORT_AND_REWIND -> {
        log.warn(
            "processor {}: batch {} failed ({}); aborting and rewinding",
            name,
            batch,
            failure.toString());
        abort(failure, batch);
        actions.rewind();
      }
      case RECREATE_PRODUCER -> {
        log.warn(
            "processor {}: Kafka forgot this producer ({}); redoing batch {} with a new one",
            name,
            failure.toString(),
            batch);
        actions.recreateProducer();
        actions.rewind();
      }
    }
    return reaction;
  }

  /**
   * The open transaction outlived {@code transaction.timeout.ms} before its commit: the coordinator
   * aborts it, so it is aborted here too (that completes, whether or not the coordinator got there
   * first) and the batch redone, instead of a commit that could only fail.
   *
   * @throws Fenced if the abort finds this instance fenced
   */
  void abortTimedOut(long batch, Duration open) {
    abort(null, batch);
    timedOut(batch, null, "was open " + open.toMillis() + " ms; aborted it, redoing the batch");
    actions.rewind();
  }

  private void timedOut(long batch, Throwable failure, String what) {
    actions.timedOut();
    log.warn(
        "processor {}: the transaction of batch {} outlived transaction.timeout.ms ({} ms), so"
            + " the transaction coordinator aborts it; this is not another instance{}; {}. Raise"
            + " transaction.timeout.ms above the longest a batch can take (the slowest process()"
            + " call or broker outage, plus the commit interval), or make process() return sooner",
        name,
        batch,
        transactionTimeout.toMillis(),
        failure == null ? "" : " (" + failure + ")",
        what);
  }

  /**
   * Aborts the open transaction and rewinds, reacting to an abort that fails by its class.
   *
   * @throws Fenced if this instance is fenced
   * @throws Fatal if the processor must stop failed
   */
  void abortAndRewind(long batch) {
    abort(null, batch);
    actions.rewind();
  }

  /**
   * Aborts, calling the abort again while it times out; an abort that fails otherwise is classified
   * in turn.
   */
  private void abort(Throwable cause, long batch) {
    try {
      abortResumingTimeouts(batch);
    } catch (KafkaException abortFailed) {
      if (cause != null) {
        abortFailed.addSuppressed(cause);
      }
      switch (TransactionErrors.classify(abortFailed, Call.OTHER)) {
        case FENCED -> throw new Fenced(abortFailed);
        case RECREATE_PRODUCER -> {
          log.warn(
              "processor {}: abort of batch {} found the producer forgotten; a new one",
              name,
              batch);
          actions.recreateProducer();
        }
        // The producer cannot say where its transaction stands: stop rather than guess.
        default -> throw new Fatal(abortFailed);
      }
    }
  }

  private void abortResumingTimeouts(long batch) {
    for (int attempt = 1; ; attempt++) {
      try {
        actions.abort();
        return;
      } catch (TimeoutException e) {
        if (giveUp.getAsBoolean()) {
          // Closing past the deadline: the producer closes next, and the transaction ends on the
          // broker (aborted, or at transaction.timeout.ms); nothing of it ever commits.
          log.warn(
              "processor {}: abort of batch {} timed out while closing; leaving it to the broker",
              name,
              batch);
          actions.abandon();
          return;
        }
        log.warn(
            "processor {}: abort of batch {} timed out (attempt {}); calling it again: {}",
            name,
            batch,
            attempt,
            e.toString());
      }
    }
  }
}
