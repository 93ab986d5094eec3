package dev.exactly.dedup;

import dev.exactly.ComponentState;
import dev.exactly.RetryPolicy;
import dev.exactly.internal.DeadLetterProducer;
import dev.exactly.internal.Lifecycle;
import dev.exactly.internal.StaticMemberRejoin;
import dev.exactly.internal.Waits;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnreleasedInstanceIdException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idempotent consumer's thread: opens the clients, moves the lifecycle, and polls until closed,
 * handing each batch to the {@link BatchProcessor} and backing off while the store is down. Only
 * {@link #wakeup()} is called from another thread.
 */
final class IdempotentEngine<K, V> {
  private static final Logger log = LoggerFactory.getLogger(IdempotentEngine.class);

  /**
   * Waits between store calls that failed, and between dead-letter writes that failed: 100 ms
   * doubling to 5 s, for as long as it takes (the attempts limit is not used).
   */
  static final RetryPolicy STORE_BACKOFF =
      new RetryPolicy(Integer.MAX_VALUE, Duration.ofMillis(100), Duration.ofSeconds(5), 2.0);

  /** Between two joins refused because a killed member still holds the static instance id. */
  private final ConsumerSettings<K, V> s;

  private final Lifecycle lifecycle;
  private final DedupMetrics metrics;
  private final ItemReader<K, V> reader;
  private final PausedPartitions paused;
  private final LeaseRenewer renewer;
  private volatile KafkaConsumer<byte[], byte[]> consumer;

  /** Where handlers run with concurrency above 1; null runs them on the engine thread. */
  private final Executor executor;

  /** The pool this consumer made (no executor given), shut down with it; else null. */
  private final ExecutorService ownPool;

  /** Whether Kafka has assigned this instance partitions (even none) since it started. */
  private boolean assigned;

  /** Claims failed in a row: the next backoff grows with it. */
  private int storeFailures;

  IdempotentEngine(ConsumerSettings<K, V> s, Lifecycle lifecycle) {
    this.s = s;
    this.lifecycle = lifecycle;
    this.metrics = new DedupMetrics(s.meterRegistry(), s);
    metrics.registerState(lifecycle);
    this.reader = new ItemReader<>(s);
    this.paused = new PausedPartitions(s.ticker());
    this.renewer = new LeaseRenewer(s, metrics);
    if (s.concurrency() > 1 && s.executor() == null) {
      AtomicInteger n = new AtomicInteger();
      ownPool =
          Executors.newFixedThreadPool(
              s.concurrency(),
              r -> {
                Thread t =
                    new Thread(r, "exactly-dedup-handler-" + s.name() + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      executor = ownPool;
    } else {
      ownPool = null;
      executor = s.executor();
    }
  }

  private boolean running() {
    return lifecycle.is(ComponentState.RUNNING);
  }

  /** Cuts a poll or commit short, for close(). */
  void wakeup() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  void run() {
    try {
      RetentionCheck.run(s, metrics);
      try (DeadLetterProducer deadLetters =
          new DeadLetterProducer(
              s.userProperties(),
              "exactly-dedup-" + s.groupId() + "-" + s.instanceId(),
              STORE_BACKOFF,
              s.ticker())) {
        // Opened before RUNNING: Kafka properties the client refuses fail the start.
        KafkaConsumer<byte[], byte[]> c = newConsumer();
        // False when close() came first: nothing was polled, nothing to finish.
        if (lifecycle.tryMoveTo(ComponentState.RUNNING)) {
          consume(c, deadLetters);
        } else {
          c.close();
        }
      }
      lifecycle.tryMoveTo(ComponentState.CLOSED);
    } catch (Throwable t) {
      log.error("idempotent consumer {} failed and stopped", s.name(), t);
      lifecycle.fail(t);
    } finally {
      renewer.close();
      if (ownPool != null) {
        // Every batch has ended before this point: nothing is running on it.
        ownPool.shutdownNow();
      }
      reader.close();
      log.info("idempotent consumer {} stopped", s.name());
      lifecycle.terminated();
    }
  }

  private KafkaConsumer<byte[], byte[]> newConsumer() {
    return new KafkaConsumer<>(
        s.consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * Polls with {@code first}, and with new Kafka consumers after it, until closed. Under KIP-848's
   * consumer protocol a static member cannot replace its killed predecessor: the broker refuses the
   * restarted one's {@code group.instance.id} until the old member's session times out, and the
   * refusal leaves that consumer unusable. Before the first assignment a new consumer therefore
   * asks again every {@link StaticMemberRejoin#BACKOFF}; after it, the same refusal means another
   * live member holds the id, and stops this consumer FAILED.
   */
  private void consume(KafkaConsumer<byte[], byte[]> first, DeadLetterProducer deadLetters) {
    KafkaConsumer<byte[], byte[]> c = first;
    StaticMemberRejoin rejoin =
        new StaticMemberRejoin(
            "idempotent consumer " + s.name(), s.consumerProperties(), s.ticker());
    while (!pollUntilClosed(c, deadLetters)) {
      if (!rejoin.awaitNextAttempt(this::running)) {
        return;
      }
      c = newConsumer();
    }
  }

  /**
   * Polls with {@code c} until closed (true) or, before the first assignment, refused its static
   * instance id (false); closes {@code c} either way.
   */
  private boolean pollUntilClosed(KafkaConsumer<byte[], byte[]> c, DeadLetterProducer deadLetters) {
    boolean refused = false;
    consumer = c;
    try {
      poll(
          c,
          new BatchProcessor<>(
              s, c, deadLetters, metrics, reader, paused, renewer, executor, this::running));
      return true;
    } catch (UnreleasedInstanceIdException e) {
      if (assigned) {
        throw e;
      }
      refused = true;
      return false;
    } finally {
      consumer = null;
      if (refused) {
        closeRefused(c);
      } else {
        c.close();
      }
    }
  }

  /** A refused consumer has nothing to commit or leave: closed without waiting. */
  private void closeRefused(KafkaConsumer<byte[], byte[]> c) {
    try {
      c.close(CloseOptions.timeout(Duration.ZERO));
    } catch (RuntimeException e) {
      log.debug("idempotent consumer {}: closing a refused consumer failed", s.name(), e);
    }
  }

  private void poll(KafkaConsumer<byte[], byte[]> c, BatchProcessor<K, V> batches) {
    c.subscribe(List.of(s.topic()), new Listener(batches));
    log.info(
        "idempotent consumer {} started on {} with store {}, lease {}, retention {}",
        s.name(),
        s.topic(),
        s.store().name(),
        s.lease(),
        s.retention());
    while (running()) {
      paused.resumeDue(c);
      ConsumerRecords<byte[], byte[]> polled;
      try {
        polled = c.poll(batches.pollTimeout());
      } catch (WakeupException e) {
        continue;
      }
      metrics.lag.update(c);
      batches.afterPoll();
      if (polled.isEmpty()) {
        continue;
      }
      try {
        batches.process(polled);
        storeFailures = 0;
      } catch (DedupStoreException e) {
        Duration backoff = STORE_BACKOFF.backoffAfter(++storeFailures);
        log.warn(
            "{}: dedup store {} failed to claim {} records' keys; processing nothing, polling"
                + " again in {}: {}",
            s.name(),
            s.store().name(),
            polled.count(),
            backoff,
            e.getMessage());
        Waits.sleepWhileQuietly(s.ticker(), backoff, this::running);
      }
    }
    batches.stop();
  }

  private final class Listener implements ConsumerRebalanceListener {
    private final BatchProcessor<K, V> batches;

    Listener(BatchProcessor<K, V> batches) {
      this.batches = batches;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      batches.revoked(partitions, false);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      assigned = true;
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      batches.revoked(partitions, true);
    }
  }
}
