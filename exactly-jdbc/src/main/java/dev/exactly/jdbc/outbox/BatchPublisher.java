package dev.exactly.jdbc.outbox;

import dev.exactly.DeadLetterReason;
import dev.exactly.FaultPoint;
import dev.exactly.internal.DeadLetterWarnings;
import dev.exactly.internal.TransactionErrors;
import dev.exactly.internal.TransactionErrors.Call;
import dev.exactly.internal.TransactionErrors.Reaction;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one batch of rows and the position covering it in one Kafka transaction, and decides
 * what a failed transaction means ({@link TransactionErrors}): redo the batch, replace the
 * producer, or stop the relay. Owns the transactional producer and the thread that commits.
 */
final class BatchPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BatchPublisher.class);

  private final RelaySettings s;
  private final OutboxMetrics metrics;
  private final PositionStore store;
  private final BooleanSupplier closing;
  private final ExecutorService committer;

  /** Rows Kafka refused for good, to the dead-letter topic on the next try; relay thread only. */
  private final Map<Long, KafkaException> poison = new HashMap<>();

  private final DeadLetterWarnings warnings;

  private KafkaProducer<byte[], byte[]> producer;

  /**
   * Creates the producer and calls {@code initTransactions}, which fences any predecessor with this
   * relay's {@code transactional.id} and settles its open transaction, so the position read next is
   * the last one committed.
   *
   * @throws ProducerStopped when Kafka refuses this producer for good
   */
  BatchPublisher(
      RelaySettings settings, OutboxMetrics metrics, PositionStore store, BooleanSupplier closing)
      throws ProducerStopped {
    this.s = settings;
    this.metrics = metrics;
    this.store = store;
    this.closing = closing;
    this.warnings = new DeadLetterWarnings("relay " + settings.name(), settings.ticker());
    this.committer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "exactly-outbox-relay-" + s.name() + "-commit");
              t.setDaemon(true);
              return t;
            });
    try {
      this.producer = newProducer();
    } catch (ProducerStopped | RuntimeException e) {
      committer.shutdownNow();
      throw e;
    }
  }

  private KafkaProducer<byte[], byte[]> newProducer() throws ProducerStopped {
    KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(s.producerProperties());
    try {
      p.initTransactions();
      return p;
    } catch (KafkaException e) {
      p.close(Duration.ZERO);
      Reaction reaction = TransactionErrors.classify(e, Call.OTHER);
      if (reaction == Reaction.FENCED || reaction == Reaction.FATAL) {
        throw new ProducerStopped(reaction, e);
      }
      // Timed out, say: the relay tries again from its lock.
      throw e;
    }
  }

  /**
   * Publishes the batch's rows and its position in one Kafka transaction. The commit runs on the
   * committer thread while this thread runs {@code readAhead}, if given.
   *
   * @param toDeadLetter rows to send to the dead-letter topic instead of their own, with why
   * @return whether it committed; false after an abort, when the batch is to be read again
   * @throws ProducerStopped when this relay must stop: fenced, or refused for good
   */
  boolean publish(
      OutboxReader.Batch batch, ReadAhead readAhead, Map<Long, KafkaException> toDeadLetter)
      throws InterruptedException, ProducerStopped {
    List<OutboxRow> rows = batch.rows();
    poison.putAll(toDeadLetter);
    // Each failure instance with the row that met it first. Once the transaction is in error, Kafka
    // fails the records still waiting to be sent with that same instance (the sender aborts them
    // with its last error), so only the first row to see an instance is the row refused; the
    // others only went down with it and are published again.
    Map<Exception, Long> failures = Collections.synchronizedMap(new IdentityHashMap<>());
    Call call = Call.OTHER;
    try {
      producer.beginTransaction();
      int half = rows.size() / 2;
      for (int i = 0; i < rows.size(); i++) {
        if (i == half) {
          s.faults().reached(FaultPoint.RELAY_MID_BATCH);
        }
        OutboxRow row = rows.get(i);
        KafkaException refused = poison.get(row.id());
        ProducerRecord<byte[], byte[]> record =
            refused == null
                ? RelayRecords.record(row)
                : RelayRecords.deadLetter(s.deadLetterTopic(), row, refused);
        producer.send(
            record,
            (meta, e) -> {
              if (e != null) {
                failures.putIfAbsent(e, row.id());
              }
            });
      }
      producer.send(store.record(batch.next()));
      s.faults().reached(FaultPoint.RELAY_BEFORE_COMMIT);
      call = Call.COMMIT;
      Future<?> commit = committer.submit(this::commit);
      if (readAhead != null) {
        readAhead.run();
      }
      awaitCommit(commit);
    } catch (KafkaException e) {
      recover(e, call, failures, rows.size());
      return false;
    }
    s.faults().reached(FaultPoint.RELAY_AFTER_COMMIT);
    long[] created = new long[rows.size()];
    int sent = 0;
    for (OutboxRow row : rows) {
      KafkaException refused = poison.remove(row.id());
      if (refused != null) {
        metrics.deadLettered();
        warnings.gaveUp(
            "outbox row " + row.id() + " for " + row.topic(),
            s.deadLetterTopic(),
            DeadLetterReason.REFUSED_BY_KAFKA,
            refused);
      } else {
        created[sent++] = row.createdAtMillis();
      }
    }
    metrics.published(Arrays.copyOf(created, sent), s.ticker().millis());
    return true;
  }

  /** Leaves the producer ready for the batch to be published again, or says the relay must stop. */
  private void recover(KafkaException e, Call call, Map<Exception, Long> failures, int rows)
      throws ProducerStopped {
    Reaction reaction = TransactionErrors.classify(e, call);
    switch (reaction) {
      case FENCED, FATAL -> throw new ProducerStopped(reaction, e);
      case RETRY_COMMIT ->
          // Only a closing relay gives up on a commit that timed out; aborting it could abort a
          // transaction the coordinator is committing. It completes or times out on the broker.
          throw e;
      case RECREATE_PRODUCER -> {
        metrics.aborted();
        log.warn(
            "relay {}: Kafka forgot this producer ({}); publishing the batch of {} rows again"
                + " with a new one",
            s.name(),
            e.toString(),
            rows);
        replaceProducer();
      }
      case ABORT_AND_REWIND -> {
        metrics.aborted();
        abort(e);
        failures.forEach(
            (f, id) -> {
              if (f instanceof RecordTooLargeException
                  || f instanceof RecordBatchTooLargeException
                  || f instanceof InvalidTopicException) {
                poison.put(id, (KafkaException) f);
              }
            });
        log.warn(
            "relay {}: batch of {} rows aborted ({}), publishing it again",
            s.name(),
            rows,
            e.toString());
      }
    }
  }

  private void abort(KafkaException cause) throws ProducerStopped {
    try {
      producer.abortTransaction();
    } catch (KafkaException abortFailed) {
      cause.addSuppressed(abortFailed);
      Reaction reaction = TransactionErrors.classify(abortFailed, Call.OTHER);
      if (reaction == Reaction.FENCED || reaction == Reaction.FATAL) {
        throw new ProducerStopped(reaction, cause);
      }
      // The producer cannot tell where its transaction stands: a new one settles it.
      replaceProducer();
    }
  }

  private void replaceProducer() throws ProducerStopped {
    producer.close(Duration.ZERO);
    producer = newProducer();
  }

  /** Waits for the commit; rethrows its failure as thrown, for the handling by type above. */
  private static void awaitCommit(Future<?> commit) throws InterruptedException {
    try {
      commit.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new KafkaException("the commit failed", cause);
    }
  }

  /** Commits; a commit that timed out is called again until it completes or the relay closes. */
  private void commit() {
    for (int attempt = 1; ; attempt++) {
      try {
        producer.commitTransaction();
        return;
      } catch (KafkaException e) {
        if (TransactionErrors.classify(e, Call.COMMIT) != Reaction.RETRY_COMMIT
            || closing.getAsBoolean()) {
          throw e;
        }
        // Said aloud: a commit that keeps timing out is how a slow or unreachable transaction
        // coordinator shows, and the relay publishes nothing while it waits. Each attempt blocks
        // up to max.block.ms, so there is no backoff of its own.
        log.warn(
            "relay {}: Kafka commit timed out (attempt {}), retrying: {}",
            s.name(),
            attempt,
            e.getMessage());
      }
    }
  }

  /** Releases the producer; a closing relay does not wait for it, its transaction aborts anyway. */
  @Override
  public void close() {
    committer.shutdownNow();
    producer.close(closing.getAsBoolean() ? Duration.ZERO : Duration.ofSeconds(5));
  }
}
