package dev.exactly.internal;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ApplicationRecoverableException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * What an engine does when a transactional producer call fails: the one place that reads Kafka
 * 4.x's transactional error classes (KIP-1050) for every engine that owns a Kafka transaction.
 *
 * <ul>
 *   <li>{@link Reaction#RETRY_COMMIT}: a {@code commitTransaction} that timed out. Calling it again
 *       resumes the same commit; aborting instead could abort a transaction the coordinator is
 *       already committing, so a timed-out commit is never followed by an abort.
 *   <li>{@link Reaction#ABORT_AND_REWIND}: abortable errors ({@link TransactionAbortableException},
 *       a send that failed, any other retriable error, and a {@link FencedInstanceIdException}
 *       refusing the offsets of a member the group fenced): abort the transaction, seek back to the
 *       last commit and redo the work.
 *   <li>{@link Reaction#RECREATE_PRODUCER}: {@link InvalidPidMappingException} and {@link
 *       UnknownProducerIdException}: the coordinator has forgotten this producer (its transactional
 *       id expired while idle). Nobody else holds the id, so closing the producer, creating a new
 *       one and calling {@code initTransactions} again is safe; the work since the last commit is
 *       redone.
 *   <li>{@link Reaction#FENCED}: {@link ProducerFencedException} and {@link
 *       InvalidProducerEpochException}. Both are "application recoverable" in KIP-1050, but a new
 *       producer under the same transactional id would fence whichever instance bumped the epoch,
 *       and that may be the rightful owner: so the instance stops as a zombie and is not restarted
 *       under the same id while the other runs.
 *   <li>{@link Reaction#FATAL}: authorization, authentication, configuration and version errors:
 *       retrying cannot help; the component stops with the failure for the user to read.
 * </ul>
 */
public final class TransactionErrors {
  /** What the engine does about a failed transactional call. */
  public enum Reaction {
    RETRY_COMMIT,
    ABORT_AND_REWIND,
    RECREATE_PRODUCER,
    FENCED,
    FATAL
  }

  /** Which producer call failed. */
  public enum Call {
    /** {@code commitTransaction}. */
    COMMIT,
    /** Any other call: begin, send (or its callback), {@code sendOffsetsToTransaction}, abort. */
    OTHER
  }

  private TransactionErrors() {}

  /** The reaction to {@code failure} thrown by (or reported for) {@code call}. */
  public static Reaction classify(Throwable failure, Call call) {
    if (Failures.isFenced(failure)) {
      return Reaction.FENCED;
    }
    if (find(failure, InvalidPidMappingException.class) != null
        || find(failure, UnknownProducerIdException.class) != null) {
      return Reaction.RECREATE_PRODUCER;
    }
    if (find(failure, FencedInstanceIdException.class) != null) {
      // Refused offsets of a member the group fenced: Kafka makes this abortable, the producer
      // stays usable, and the consumer's next poll says whether to rejoin.
      return Reaction.ABORT_AND_REWIND;
    }
    if (find(failure, ApplicationRecoverableException.class) != null) {
      // A recoverable class this version does not know by name: the producer is unusable, and
      // recreating it under the same id is safe only when nobody else may hold it. Stop.
      return Reaction.FENCED;
    }
    if (find(failure, AuthorizationException.class) != null
        || find(failure, AuthenticationException.class) != null
        || find(failure, InvalidConfigurationException.class) != null
        || find(failure, UnsupportedVersionException.class) != null) {
      return Reaction.FATAL;
    }
    if (call == Call.COMMIT && failure instanceof TimeoutException) {
      return Reaction.RETRY_COMMIT;
    }
    if (failure instanceof KafkaException
        || failure instanceof java.util.concurrent.ExecutionException) {
      return Reaction.ABORT_AND_REWIND;
    }
    // Not a Kafka failure at all (an Error, a bug in the engine or in user code run by it).
    return Reaction.FATAL;
  }

  /**
   * Whether {@code failure} says the coordinator bumped the producer's epoch without saying who
   * did: {@link InvalidProducerEpochException} and no {@link ProducerFencedException}. Measured on
   * Kafka 4.4 (transaction version 2), a send or commit gets it both when the coordinator aborted
   * the transaction for outliving {@code transaction.timeout.ms} and when another producer
   * initialized the same transactional id; an abort then tells them apart: it completes after a
   * timeout and throws {@link ProducerFencedException} after fencing.
   */
  public static boolean epochBumped(Throwable failure) {
    return find(failure, InvalidProducerEpochException.class) != null
        && find(failure, ProducerFencedException.class) == null;
  }

  /**
   * Whether {@code failure} is one that a transaction aborted by its coordinator for outliving
   * {@code transaction.timeout.ms} gives a producer that goes on committing it: {@link
   * ProducerFencedException} ({@code sendOffsetsToTransaction}), {@link
   * InvalidProducerEpochException} or {@link InvalidTxnStateException} ({@code commitTransaction}).
   * Only the transaction's age tells them from fencing by another instance.
   */
  public static boolean endedByCoordinator(Throwable failure) {
    return Failures.isFenced(failure) || find(failure, InvalidTxnStateException.class) != null;
  }

  /** The first throwable of {@code type} in {@code failure}'s cause chain, or null. */
  public static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }
}
