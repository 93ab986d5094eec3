package dev.exactly.processor;

import dev.exactly.internal.TransactionErrors;
import dev.exactly.internal.TransactionErrors.Call;
import dev.exactly.internal.TransactionErrors.Reaction;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.KafkaException;
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
 *   <li>{@link Reaction#FENCED}: throws {@link Fenced}; the engine stops {@code FENCED}.
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

  /**
   * @param giveUp true once the processor is closing past its deadline: a timed-out abort is then
   *     left to the broker instead of being called again
   */
  TransactionFailureHandler(String name, Actions actions, BooleanSupplier giveUp) {
    this.name = name;
    this.actions = actions;
    this.giveUp = giveUp;
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
