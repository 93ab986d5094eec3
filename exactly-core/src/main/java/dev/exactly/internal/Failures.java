package dev.exactly.internal;

import dev.exactly.NonRetriableException;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Decides what a failure of user code means, the same way in every engine: whether retrying can
 * help. Walks the whole cause chain, so a {@link NonRetriableException} wrapped by the user's own
 * exception (or by a future, or by a framework) is still seen.
 */
public final class Failures {
  private final List<Class<? extends Throwable>> nonRetriable;

  /**
   * @param nonRetriable types the user marked as not worth retrying, besides {@link
   *     NonRetriableException} and Kafka's {@link SerializationException}, which always are
   */
  public Failures(Set<Class<? extends Throwable>> nonRetriable) {
    this.nonRetriable = List.copyOf(nonRetriable);
  }

  /** Whether retrying {@code failure} cannot help: the record should be given up at once. */
  public boolean isNonRetriable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof NonRetriableException || t instanceof SerializationException) {
        return true;
      }
      for (Class<? extends Throwable> type : nonRetriable) {
        if (type.isInstance(t)) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * Whether {@code failure} says another instance took over this one's transactional identity:
   * {@link ProducerFencedException} or {@link InvalidProducerEpochException} anywhere in the chain.
   * See {@link TransactionErrors} for why {@code InvalidProducerEpochException} is treated as
   * fencing too. A {@code FencedInstanceIdException} is not: it fences the consumer's group
   * membership, not the producer, which Kafka leaves usable after an abort.
   */
  public static boolean isFenced(Throwable failure) {
    return TransactionErrors.find(failure, ProducerFencedException.class) != null
        || TransactionErrors.find(failure, InvalidProducerEpochException.class) != null;
  }
}
