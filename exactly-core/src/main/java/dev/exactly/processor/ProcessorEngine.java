package dev.exactly.processor;

import dev.exactly.ComponentState;
import dev.exactly.Ticker;
import dev.exactly.internal.KafkaSettings;
import dev.exactly.internal.Lifecycle;
import dev.exactly.internal.StartCheck;
import dev.exactly.internal.StaticMemberRejoin;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.UnreleasedInstanceIdException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor behind {@link ExactlyOnceProcessor}: its life, its clients and its engine thread.
 * The work is done by {@link BatchLoop} (polls and batches), {@link RecordRunner} (one record),
 * {@link Committer} (commits, aborts, rewinds), {@link OutputProducer} (the producer and its
 * transaction) and {@link TransactionFailureHandler} (what a failed producer call means).
 *
 * <p>The public methods only read the state, start the thread and ask it to stop; everything else
 * runs on the engine thread, except the exactly-once commit, which runs on a committer thread while
 * the next batch is processed.
 */
final class ProcessorEngine<K, V, OK, OV> implements ExactlyOnceProcessor {
  private static final Logger log = LoggerFactory.getLogger(ExactlyOnceProcessor.class);
  private static final Duration CLIENT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final ProcessorSettings settings;
  private final ProcessorMetrics metrics;
  private final String name;
  private final Ticker ticker;
  private final Lifecycle lifecycle;
  private final OutputProducer out;
  // The function's workers when concurrency > 1: the user's executor, or this engine's own pool.
  private final Executor workers;
  private final ExecutorService ownWorkers;

  private volatile long closeDeadlineNanos;
  // Set when close() gave up waiting and closed the producer under the engine: the engine then
  // closes the consumer at once, so close() still returns within its promised bound.
  private volatile boolean closeOverdue;

  ProcessorEngine(ProcessorSettings settings, MeterRegistry registry) {
    this.settings = settings;
    this.name = settings.name();
    this.ticker = settings.ticker();
    this.lifecycle = new Lifecycle("processor " + name);
    this.metrics = new ProcessorMetrics(registry, settings.groupId(), settings.instanceId());
    lifecycle.registerStateGauges(metrics.meters);
    this.out = new OutputProducer(settings);
    if (settings.concurrency() == 1) {
      this.ownWorkers = null;
      this.workers = null;
    } else if (settings.executor() != null) {
      this.ownWorkers = null;
      this.workers = settings.executor();
    } else {
      this.ownWorkers = Executors.newFixedThreadPool(settings.concurrency(), workerThreads(name));
      this.workers = ownWorkers;
    }
  }

  private static ThreadFactory workerThreads(String name) {
    AtomicInteger next = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "exactly-processor-" + name + "-worker-" + next.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void start() {
    lifecycle.moveFrom(ComponentState.CREATED, ComponentState.STARTING);
    new StartCheck(
            "processor " + name, "processor", settings.consumerProperties(), settings.start())
        .runOrFail(
            lifecycle,
            "processor.input",
            List.of(settings.inputTopic()),
            Map.of(settings.deadLetterTopic(), List.of(settings.inputTopic())));
    Thread t = new Thread(this::run, "exactly-processor-" + name);
    t.setDaemon(false);
    t.start();
  }

  @Override
  public ComponentState state() {
    return lifecycle.state();
  }

  @Override
  public Optional<Throwable> failure() {
    return lifecycle.failure();
  }

  /** For tests: the registry the meters are in (the private one when none was given). */
  MeterRegistry meterRegistry() {
    return metrics.registry();
  }

  @Override
  public boolean close(Duration timeout) {
    closeDeadlineNanos = ticker.nanoTime() + timeout.toNanos();
    if (lifecycle.is(ComponentState.CREATED) && lifecycle.tryMoveTo(ComponentState.CLOSED)) {
      lifecycle.terminated();
      return true;
    }
    if (!lifecycle.state().isTerminal()) {
      lifecycle.tryMoveTo(ComponentState.CLOSING);
    }
    try {
      if (lifecycle.awaitTermination(timeout)) {
        return true;
      }
      // The engine is stuck in a commit: closing the producer under it aborts the transaction,
      // which is the promised outcome when the batch cannot commit in time.
      closeOverdue = true;
      out.closeNow();
      return lifecycle.awaitTermination(CLIENT_CLOSE_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return lifecycle.awaitTermination(timeout);
  }

  /** Whether the engine goes on polling: starting (waiting for its first assignment) or running. */
  private boolean running() {
    ComponentState s = lifecycle.state();
    return s == ComponentState.STARTING || s == ComponentState.RUNNING;
  }

  private boolean pastCloseDeadline() {
    return ticker.nanoTime() >= closeDeadlineNanos;
  }

  private void run() {
    KafkaConsumer<byte[], byte[]> consumer = null;
    BatchLoop loop = null;
    try {
      log.info(
          "processor {} ({}) starting with consumer {} and producer {}",
          name,
          settings.guarantee(),
          KafkaSettings.masked(settings.consumerProperties()),
          KafkaSettings.masked(settings.producerProperties()));
      out.open();
      consumer = new KafkaConsumer<>(settings.consumerProperties());
      loop = loop(consumer);
      StaticMemberRejoin rejoin =
          new StaticMemberRejoin("processor " + name, settings.consumerProperties(), ticker);
      while (running()) {
        try {
          loop.pollOnce();
          continue;
        } catch (UnreleasedInstanceIdException e) {
          if (!lifecycle.is(ComponentState.STARTING)) {
            throw e; // a live member holds this instance id: another instance runs as this one
          }
        } catch (FencedInstanceIdException e) {
          if (!rejoin.rejoinAfterFence(e)) {
            throw e;
          }
          loop.abandon();
        }
        // This consumer is unusable: join again with a new one.
        loop.close();
        closeConsumerQuietly(consumer);
        consumer = null;
        if (!rejoin.awaitNextAttempt(this::running)) {
          break;
        }
        consumer = new KafkaConsumer<>(settings.consumerProperties());
        loop = loop(consumer);
      }
      loop.finish(pastCloseDeadline());
      lifecycle.tryMoveTo(ComponentState.CLOSED);
    } catch (Fenced e) {
      log.warn(
          "processor {} is fenced: another instance owns its transactional.id or its partitions;"
              + " it stops and must not be restarted under the same instance id while the other"
              + " runs: {}",
          name,
          e.getCause().toString());
      lifecycle.fence(e.getCause());
    } catch (FencedInstanceIdException e) {
      // Static membership: another live member keeps taking this one's group.instance.id.
      log.warn(
          "processor {} is fenced: another member runs with its group.instance.id; it stops: {}",
          name,
          e.toString());
      out.abortQuietly();
      lifecycle.fence(e);
    } catch (Throwable e) {
      Throwable cause = e instanceof TransactionFailureHandler.Fatal ? e.getCause() : e;
      log.error("processor {} failed and stopped", name, cause);
      out.abortQuietly();
      lifecycle.fail(cause);
    } finally {
      closeClients(consumer, loop);
      lifecycle.terminated();
    }
  }

  private BatchLoop loop(KafkaConsumer<byte[], byte[]> consumer) {
    return new BatchLoop(
        settings,
        metrics,
        consumer,
        out,
        this::running,
        this::pastCloseDeadline,
        // The first assignment ends the start, even an empty one (more instances than
        // partitions); closing may have come first.
        () -> lifecycle.tryMoveTo(ComponentState.RUNNING),
        workers);
  }

  private void closeConsumerQuietly(KafkaConsumer<byte[], byte[]> consumer) {
    try {
      consumer.close(CloseOptions.timeout(Duration.ZERO));
    } catch (RuntimeException e) {
      log.debug("processor {}: closing a refused consumer failed", name, e);
    }
  }

  private void closeClients(KafkaConsumer<byte[], byte[]> consumer, BatchLoop loop) {
    try {
      if (consumer != null) {
        // An overdue close must not wait for a coordinator that does not answer; the offsets
        // live in the transactions, so leaving without a last commit loses nothing.
        consumer.close(CloseOptions.timeout(closeOverdue ? Duration.ZERO : CLIENT_CLOSE_TIMEOUT));
      }
    } catch (RuntimeException e) {
      log.warn("processor {}: closing the consumer failed", name, e);
    }
    out.close(
        lifecycle.is(ComponentState.FENCED) || closeOverdue ? Duration.ZERO : CLIENT_CLOSE_TIMEOUT);
    if (loop != null) {
      loop.close();
    }
    if (ownWorkers != null) {
      // A function still running past the close belongs to a batch that will never commit.
      ownWorkers.shutdownNow();
    }
  }
}
