package dev.exactly.internal;

import static dev.exactly.internal.TransactionErrors.Call.COMMIT;
import static dev.exactly.internal.TransactionErrors.Call.OTHER;
import static dev.exactly.internal.TransactionErrors.Reaction.ABORT_AND_REWIND;
import static dev.exactly.internal.TransactionErrors.Reaction.FATAL;
import static dev.exactly.internal.TransactionErrors.Reaction.FENCED;
import static dev.exactly.internal.TransactionErrors.Reaction.RECREATE_PRODUCER;
import static dev.exactly.internal.TransactionErrors.Reaction.RETRY_COMMIT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.ConcurrentTransactionsException;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.junit.jupiter.api.Test;

/** One case per KIP-1050 error class: the reaction every transactional engine takes. */
class TransactionErrorsTest {

  @Test
  void aTimedOutCommitIsRetriedNeverAborted() {
    assertThat(TransactionErrors.classify(new TimeoutException("commit"), COMMIT))
        .isEqualTo(RETRY_COMMIT);
  }

  @Test
  void aTimeoutOutsideTheCommitAbortsAndRewinds() {
    assertThat(TransactionErrors.classify(new TimeoutException("send"), OTHER))
        .isEqualTo(ABORT_AND_REWIND);
  }

  @Test
  void abortableErrorsAbortAndRewind() {
    assertThat(TransactionErrors.classify(new FencedInstanceIdException("offsets"), OTHER))
        .as("Kafka makes a fenced member's refused offsets abortable")
        .isEqualTo(ABORT_AND_REWIND);
    assertThat(TransactionErrors.classify(new TransactionAbortableException("x"), OTHER))
        .isEqualTo(ABORT_AND_REWIND);
    assertThat(TransactionErrors.classify(new TransactionAbortableException("x"), COMMIT))
        .isEqualTo(ABORT_AND_REWIND);
    assertThat(TransactionErrors.classify(new RecordTooLargeException("big"), OTHER))
        .isEqualTo(ABORT_AND_REWIND);
    assertThat(TransactionErrors.classify(new InvalidTxnStateException("x"), OTHER))
        .isEqualTo(ABORT_AND_REWIND);
  }

  @Test
  void retriableAndRefreshRetriableErrorsThatSurfaceAbortAndRewind() {
    assertThat(TransactionErrors.classify(new ConcurrentTransactionsException("x"), OTHER))
        .isEqualTo(ABORT_AND_REWIND);
    assertThat(TransactionErrors.classify(new CoordinatorNotAvailableException("x"), COMMIT))
        .isEqualTo(ABORT_AND_REWIND);
  }

  @Test
  void aForgottenProducerIdRecreatesTheProducer() {
    assertThat(TransactionErrors.classify(new InvalidPidMappingException("x"), OTHER))
        .isEqualTo(RECREATE_PRODUCER);
    assertThat(TransactionErrors.classify(new UnknownProducerIdException("x"), COMMIT))
        .isEqualTo(RECREATE_PRODUCER);
  }

  @Test
  void fencingStopsTheInstanceWhereverItIsInTheCauseChain() {
    assertThat(TransactionErrors.classify(new ProducerFencedException("x"), COMMIT))
        .isEqualTo(FENCED);
    assertThat(TransactionErrors.classify(new InvalidProducerEpochException("x"), OTHER))
        .isEqualTo(FENCED);
    KafkaException wrapped =
        new KafkaException("in an error state", new ProducerFencedException("x"));
    assertThat(TransactionErrors.classify(wrapped, OTHER)).isEqualTo(FENCED);
    assertThat(
            TransactionErrors.classify(
                new ExecutionException(new InvalidProducerEpochException("x")), OTHER))
        .isEqualTo(FENCED);
  }

  @Test
  void authorizationConfigurationAndVersionErrorsAreFatal() {
    assertThat(TransactionErrors.classify(new TransactionalIdAuthorizationException("x"), OTHER))
        .isEqualTo(FATAL);
    assertThat(TransactionErrors.classify(new TopicAuthorizationException("x"), OTHER))
        .isEqualTo(FATAL);
    assertThat(TransactionErrors.classify(new AuthenticationException("x"), COMMIT))
        .isEqualTo(FATAL);
    assertThat(TransactionErrors.classify(new InvalidConfigurationException("x"), OTHER))
        .isEqualTo(FATAL);
    assertThat(TransactionErrors.classify(new UnsupportedVersionException("x"), OTHER))
        .isEqualTo(FATAL);
  }

  @Test
  void aFailureThatIsNotKafkasIsFatal() {
    assertThat(TransactionErrors.classify(new IllegalStateException("bug"), OTHER))
        .isEqualTo(FATAL);
    assertThat(TransactionErrors.classify(new OutOfMemoryError(), COMMIT)).isEqualTo(FATAL);
  }
}
