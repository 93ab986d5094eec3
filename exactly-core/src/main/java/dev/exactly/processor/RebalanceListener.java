package dev.exactly.processor;

import java.util.Collection;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes the work of partitions before they go, and starts assigned ones from their committed
 * offsets. Kafka calls it inside {@code poll}, on the engine thread. A failure is kept and rethrown
 * after the poll returns ({@link #throwFailure}), so it is handled by type rather than wrapped by
 * the consumer.
 */
final class RebalanceListener implements ConsumerRebalanceListener {
  private static final Logger log = LoggerFactory.getLogger(ExactlyOnceProcessor.class);

  private final String name;
  private final ProcessorMetrics metrics;
  private final Committer committer;
  private final Rewinder rewinder;
  private final Batch batch;
  private final FailedAttempts attempts;
  private final Runnable assigned;
  private RuntimeException failure;

  /**
   * @param assigned called after every assignment: the first ends the processor's start
   */
  RebalanceListener(
      String name,
      ProcessorMetrics metrics,
      Committer committer,
      Rewinder rewinder,
      Batch batch,
      FailedAttempts attempts,
      Runnable assigned) {
    this.name = name;
    this.metrics = metrics;
    this.committer = committer;
    this.rewinder = rewinder;
    this.batch = batch;
    this.attempts = attempts;
    this.assigned = assigned;
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return;
    }
    metrics.rebalances.increment();
    try {
      // Finish the work of these partitions before they go: their next owner starts from what
      // commits here, and this instance must never commit them later.
      if (failure == null) {
        committer.commitBatch(true);
      }
    } catch (RuntimeException e) {
      failure = e;
    }
    forget(partitions);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    metrics.rebalances.increment();
    try {
      // A commit in flight finishes first (the broker refuses its offsets if the generation is
      // gone), so that its outcome cannot be booked for partitions forgotten below.
      if (failure == null) {
        committer.settle(true);
      }
    } catch (RuntimeException e) {
      failure = e;
    }
    forget(partitions);
    try {
      // The group has moved on without us: our offsets would be refused, so abort and rewind.
      if (failure == null) {
        committer.abortAndRewind();
      }
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    try {
      rewinder.assigned(partitions);
      log.info("processor {}: assigned {}", name, partitions);
      assigned.run();
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  /** Rethrows, once, what a callback of the last poll failed with. */
  void throwFailure() {
    RuntimeException e = failure;
    if (e != null) {
      failure = null;
      throw e;
    }
  }

  private void forget(Collection<TopicPartition> partitions) {
    rewinder.forget(partitions);
    batch.forget(partitions);
    attempts.forget(partitions);
  }
}
