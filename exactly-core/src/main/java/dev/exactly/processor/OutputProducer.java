package dev.exactly.processor;

import dev.exactly.internal.Failures;
import dev.exactly.internal.TransactionErrors;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor's producer and what goes through it: outputs and dead letters, sent at once or held
 * while the previous batch commits ({@link HeldOutputs}), and the transaction they are in.
 *
 * <p>The engine thread sends, begins, aborts and replaces the producer; the committer thread adds
 * the offsets and commits, while the engine thread holds the next batch's outputs; {@code close()}
 * may close the producer from another thread when the engine is overdue.
 */
final class OutputProducer {
  private static final Logger log = LoggerFactory.getLogger(OutputProducer.class);

  private final ProcessorSettings settings;
  private final HeldOutputs held = new HeldOutputs();
  private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
  private volatile Producer<byte[], byte[]> producer;
  private volatile Transaction transaction = Transaction.NONE;
  // When the current transaction began, in real time (System.nanoTime), not on the ticker: the
  // coordinator times transactions out by its own clock, which a test's fake ticker does not move.
  // Set by the engine thread before it hands the transaction to the committer thread.
  private volatile long begunNanos;

  /** Where the producer's transaction stands, and which thread may act on it. */
  private enum Transaction {
    /** None open. */
    NONE,
    /** Begun by the engine thread, which may send in it or abort it. */
    OPEN,
    /** Handed to the committer thread; the engine thread leaves it alone until it returns. */
    COMMITTING
  }

  OutputProducer(ProcessorSettings settings) {
    this.settings = settings;
  }

  /** Makes the producer; exactly-once, fences any earlier incarnation of this instance. */
  void open() {
    producer = settings.newProducer();
    if (settings.exactlyOnce()) {
      initTransactions();
    }
  }

  /**
   * {@code initTransactions}: fences any earlier incarnation of this instance and aborts its open
   * transaction.
   */
  private void initTransactions() {
    try {
      producer.initTransactions();
    } catch (KafkaException e) {
      if (Failures.isFenced(e)) {
        throw new Fenced(e);
      }
      throw e;
    }
  }

  /** An output of the open batch: held while the batch holds, sent otherwise. */
  void output(
      boolean hold, String topic, Integer partition, byte[] key, byte[] value, Headers headers) {
    if (hold) {
      held.add(topic, partition, key, value, headers);
    } else {
      send(new ProducerRecord<>(topic, partition, null, key, value, headers));
    }
  }

  /** A whole record, its timestamp kept (a dead letter): held while the batch holds. */
  void record(boolean hold, ProducerRecord<byte[], byte[]> record) {
    if (hold) {
      held.add(record);
    } else {
      send(record);
    }
  }

  private void send(ProducerRecord<byte[], byte[]> record) {
    try {
      producer.send(
          record,
          (metadata, e) -> {
            if (e != null) {
              sendFailure.compareAndSet(null, e);
            }
          });
    } catch (KafkaException e) {
      // InvalidProducerEpochException may be the coordinator's own abort of a transaction that
      // outlived its timeout: the engine's handler tells it from fencing.
      if (TransactionErrors.find(e, ProducerFencedException.class) != null) {
        throw new Fenced(e);
      }
      throw e;
    }
  }

  /** Whether the held outputs fill their memory: the batch holding them must end. */
  boolean heldFull() {
    return held.full();
  }

  /** Begins a transaction and sends the outputs held while the previous batch committed. */
  void begin() {
    producer.beginTransaction(); // a failure is handled by type by the caller's caller
    begunNanos = System.nanoTime();
    transaction = Transaction.OPEN;
    held.drainTo(this::send);
  }

  /** The engine thread hands the open transaction to the committer thread. */
  void handOff() {
    transaction = Transaction.COMMITTING;
  }

  /** The commit handed off failed: its transaction is the engine thread's again, to abort. */
  void commitFailed() {
    transaction = Transaction.OPEN;
  }

  /**
   * A commit given up after timing out (closing): it must not be aborted, since the coordinator may
   * be committing it; it completes or times out on the broker.
   */
  void abandon() {
    transaction = Transaction.NONE;
  }

  /**
   * How long, at {@code nowNanos} ({@link System#nanoTime}), the transaction open or being
   * committed has been open; 0 when none is.
   */
  long transactionOpenNanos(long nowNanos) {
    return transaction == Transaction.NONE ? 0 : Math.max(0, nowNanos - begunNanos);
  }

  /** Whether the engine thread has a transaction open (not one in the committer's hands). */
  boolean inTransaction() {
    return transaction == Transaction.OPEN;
  }

  /** On the committer thread: the batch's offsets join its transaction. */
  void sendOffsets(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
    if (!offsets.isEmpty()) {
      producer.sendOffsetsToTransaction(offsets, group);
    }
  }

  /** On the committer thread: one {@code commitTransaction} call. */
  void commit() {
    producer.commitTransaction();
    transaction = Transaction.NONE;
  }

  /**
   * Aborts the open transaction, if any. One that throws stays open: an abort that timed out is
   * resumed by calling this again.
   */
  void abort() {
    if (transaction == Transaction.OPEN) {
      producer.abortTransaction();
      transaction = Transaction.NONE;
    }
  }

  /** Aborts after a failure of the engine, never throwing: the failure is what matters. */
  void abortQuietly() {
    // A commit in flight fails on its own once the producer closes; only an open one is ours.
    if (transaction == Transaction.OPEN && producer != null) {
      try {
        abort();
      } catch (RuntimeException e) {
        log.debug("processor {}: abort after failure failed too", settings.name(), e);
      }
    }
  }

  /** Closes the producer Kafka forgot and makes a new one with its transactions initialized. */
  void recreate() {
    transaction = Transaction.NONE;
    try {
      producer.close(Duration.ZERO);
    } catch (RuntimeException e) {
      log.debug("processor {}: closing the forgotten producer failed", settings.name(), e);
    }
    producer = settings.newProducer();
    initTransactions();
  }

  /** At-least-once: waits until every send is acknowledged or failed. */
  void flush() {
    producer.flush();
  }

  /** The first send failure since the last call, or null. */
  Exception takeSendFailure() {
    return sendFailure.getAndSet(null);
  }

  /** Forgets the dropped batch's held outputs and send failures. */
  void drop() {
    held.clear();
    sendFailure.set(null);
  }

  /** Starts a batch: an earlier batch's send failure is not this one's. */
  void batchOpened() {
    sendFailure.set(null);
  }

  /**
   * From {@code close()} on another thread, when the engine is stuck in a commit: closing the
   * producer under it aborts the transaction, the promised outcome when a batch cannot commit in
   * time.
   */
  void closeNow() {
    Producer<byte[], byte[]> p = producer;
    if (p != null) {
      p.close(Duration.ZERO);
    }
  }

  void close(Duration timeout) {
    Producer<byte[], byte[]> p = producer;
    if (p != null) {
      try {
        p.close(timeout);
      } catch (RuntimeException e) {
        log.warn("processor {}: closing the producer failed", settings.name(), e);
      }
    }
  }
}
