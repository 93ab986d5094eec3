package dev.exactly.processor;

import static dev.exactly.internal.TransactionErrors.Call.COMMIT;
import static dev.exactly.internal.TransactionErrors.Call.OTHER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.junit.jupiter.api.Test;

/**
 * The processor's reaction to each KIP-1050 class of transactional error: what it does to the
 * transaction, the producer and the batch (recorded by a fake of the engine's side).
 */
class ProcessorTransactionErrorsTest {

  /** Records the engine's actions in order; the abort fails with {@code abortFailure}, if set. */
  private static final class Recorder implements TransactionFailureHandler.Actions {
    final List<String> done = new ArrayList<>();
    KafkaException abortFailure;
    int abortTimeouts;

    @Override
    public void abort() {
      done.add("abort");
      if (abortTimeouts > 0) {
        abortTimeouts--;
        throw new TimeoutException("abort timed out");
      }
      if (abortFailure != null) {
        throw abortFailure;
      }
    }

    @Override
    public void rewind() {
      done.add("rewind");
    }

    @Override
    public void recreateProducer() {
      done.add("recreate");
    }

    @Override
    public void abandon() {
      done.add("abandon");
    }

    @Override
    public void timedOut() {
      done.add("timedOut");
    }
  }

  private final Recorder engine = new Recorder();
  private boolean closingPastDeadline;
  private final TransactionFailureHandler handler =
      new TransactionFailureHandler(
          "g/i", engine, () -> closingPastDeadline, Duration.ofSeconds(60));

  @Test
  void anEpochBumpedByTheCoordinatorIsAbortedAndRedoneWithTheSameProducer() {
    handler.handle(new KafkaException(new InvalidProducerEpochException("old epoch")), OTHER, 1);
    assertThat(engine.done).containsExactly("abort", "rewind");
    engine.done.clear();
    handler.handle(new InvalidProducerEpochException("old epoch"), COMMIT, 2, true);
    assertThat(engine.done).containsExactly("abort", "timedOut", "rewind");
  }

  @Test
  void aFencingErrorOfATransactionThatOutlivedItsTimeoutRecreatesTheProducer() {
    handler.handle(new ProducerFencedException("epoch bumped"), OTHER, 1, true);
    assertThat(engine.done).containsExactly("timedOut", "recreate", "rewind");
    engine.done.clear();
    handler.handle(new InvalidTxnStateException("aborted already"), COMMIT, 2, true);
    assertThat(engine.done).containsExactly("timedOut", "recreate", "rewind");
  }

  @Test
  void aTransactionFoundTooOldBeforeItsCommitIsAbortedAndRedone() {
    handler.abortTimedOut(3, Duration.ofSeconds(61));
    assertThat(engine.done).containsExactly("abort", "timedOut", "rewind");
  }

  @Test
  void anAbortThatTimesOutIsCalledAgainUntilItCompletes() {
    engine.abortTimeouts = 2;
    handler.handle(new TransactionAbortableException("abortable"), COMMIT, 1);
    assertThat(engine.done).containsExactly("abort", "abort", "abort", "rewind");
  }

  @Test
  void anAbortThatTimesOutWhileClosingPastTheDeadlineIsLeftToTheBroker() {
    engine.abortTimeouts = 1;
    closingPastDeadline = true;
    handler.abortAndRewind(1);
    assertThat(engine.done).containsExactly("abort", "abandon", "rewind");
  }

  @Test
  void aTimedOutCommitIsCalledAgainAndNeverAborted() {
    assertThat(handler.retryCommit(new TimeoutException("commit"), false)).isTrue();
    assertThat(engine.done).isEmpty();
  }

  @Test
  void aTimedOutCommitGivenUpWhileClosingIsForgottenNotAborted() {
    assertThat(handler.retryCommit(new TimeoutException("commit"), true)).isFalse();
    handler.handle(new TimeoutException("commit"), COMMIT, 7);
    assertThat(engine.done).containsExactly("rewind");
  }

  @Test
  void onlyATimeoutMakesTheCommitCallAgain() {
    assertThat(handler.retryCommit(new TransactionAbortableException("x"), false)).isFalse();
    assertThat(handler.retryCommit(new UnknownProducerIdException("x"), false)).isFalse();
    assertThat(handler.retryCommit(new ProducerFencedException("x"), false)).isFalse();
  }

  @Test
  void anAbortableErrorAbortsRewindsAndRedoes() {
    handler.handle(new TransactionAbortableException("abortable"), COMMIT, 1);
    assertThat(engine.done).containsExactly("abort", "rewind");
  }

  @Test
  void aTimeoutOutsideTheCommitAbortsAndRewinds() {
    handler.handle(new TimeoutException("send"), OTHER, 1);
    assertThat(engine.done).containsExactly("abort", "rewind");
  }

  @Test
  void aFailedSendAbortsAndRewinds() {
    handler.handle(new KafkaException("a send of batch 3 failed"), OTHER, 3);
    assertThat(engine.done).containsExactly("abort", "rewind");
  }

  @Test
  void aForgottenProducerIsReplacedWithoutAnAbortAndTheBatchRedone() {
    handler.handle(new InvalidPidMappingException("expired"), OTHER, 1);
    assertThat(engine.done).containsExactly("recreate", "rewind");
    engine.done.clear();
    handler.handle(new UnknownProducerIdException("unknown"), COMMIT, 2);
    assertThat(engine.done).containsExactly("recreate", "rewind");
  }

  @Test
  void fencingStopsTheProcessorFencedWithoutTouchingTheTransaction() {
    ProducerFencedException fenced = new ProducerFencedException("newer epoch");
    assertThatThrownBy(() -> handler.handle(fenced, COMMIT, 1))
        .isInstanceOf(Fenced.class)
        .hasCause(fenced);
    // An epoch bumped by another producer: the abort it prompts finds this instance fenced.
    engine.abortFailure = new ProducerFencedException("newer producer");
    assertThatThrownBy(
            () ->
                handler.handle(
                    new KafkaException(new InvalidProducerEpochException("x")), OTHER, 1))
        .isInstanceOf(Fenced.class);
    assertThat(engine.done).containsExactly("abort");
  }

  @Test
  void refusedForGoodStopsTheProcessorFailedWithTheError() {
    for (KafkaException fatal :
        List.of(
            new TransactionalIdAuthorizationException("not allowed"),
            new AuthenticationException("bad password"),
            new InvalidConfigurationException("bad config"),
            new UnsupportedVersionException("old broker"))) {
      assertThatThrownBy(() -> handler.handle(fatal, OTHER, 1))
          .isInstanceOf(TransactionFailureHandler.Fatal.class)
          .hasCause(fatal);
    }
    assertThat(engine.done).isEmpty();
  }

  @Test
  void anErrorIsRethrownAsItIs() {
    StackOverflowError error = new StackOverflowError();
    assertThatThrownBy(() -> handler.handle(error, OTHER, 1)).isSameAs(error);
  }

  @Test
  void anAbortThatFindsTheProducerForgottenReplacesIt() {
    engine.abortFailure = new UnknownProducerIdException("gone");
    handler.handle(new TransactionAbortableException("x"), OTHER, 1);
    assertThat(engine.done).containsExactly("abort", "recreate", "rewind");
  }

  @Test
  void anAbortThatFindsTheProducerFencedStopsFenced() {
    engine.abortFailure = new ProducerFencedException("newer epoch");
    assertThatThrownBy(() -> handler.handle(new TransactionAbortableException("x"), OTHER, 1))
        .isInstanceOf(Fenced.class)
        .hasCause(engine.abortFailure);
    assertThat(engine.done).containsExactly("abort");
  }

  @Test
  void anAbortThatFailsOtherwiseStopsFailedRatherThanGuessWhereTheTransactionStands() {
    engine.abortFailure = new KafkaException("abort failed");
    assertThatThrownBy(() -> handler.handle(new TransactionAbortableException("x"), OTHER, 1))
        .isInstanceOf(TransactionFailureHandler.Fatal.class)
        .hasCause(engine.abortFailure);
    assertThat(engine.done).containsExactly("abort");
  }
}
