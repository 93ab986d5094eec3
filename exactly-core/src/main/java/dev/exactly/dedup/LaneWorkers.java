package dev.exactly.dedup;

import dev.exactly.Ordering;
import dev.exactly.Ticker;
import io.micrometer.core.instrument.Timer;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.TopicPartition;

/**
 * With concurrency: the records in flight cut into lanes that may run at once (a Kafka key's
 * records share a lane under {@link Ordering#KEY}, a partition's under {@code PARTITION}; each lane
 * belongs to one partition and keeps its offset order), and up to {@code concurrency} worker tasks
 * that take ready lanes and run them, one record at a time, until they are empty or their next
 * record must wait for the engine thread (a fresh claim of its key, or the outcome of an earlier
 * record of the same key). Lanes outlive polls: a later poll's records join their lane behind the
 * records still running, so one hung record holds its lane only. Thread-safe.
 */
final class LaneWorkers<K, V> {
  /** What a worker's step did with a lane's first record. */
  enum Next {
    /** The record is done with (ran, skipped or dead-lettered): on to the next. */
    DONE,
    /** The record waits for the engine thread, until its {@code retryAtMillis}. */
    WAIT,
    /** The consumer is stopping: the record stays first in its lane. */
    STOP
  }

  /** Runs one record on a worker. */
  interface Step<K, V> {
    Next step(Item<K, V> item);
  }

  private static final class Lane<K, V> {
    final Object id;
    final TopicPartition tp;
    final ArrayDeque<Item<K, V>> queue = new ArrayDeque<>();

    /** In the ready queue or on a worker. */
    boolean scheduled;

    /** Its first record waits for the engine thread (claim or outcome) from {@code retryAt}. */
    boolean waiting;

    long retryAtMillis;
    boolean revoked;
    long readyAtNanos;

    /** The record a worker is running now, still first in {@link #queue}; else null. */
    Item<K, V> running;

    Lane(Object id, TopicPartition tp) {
      this.id = id;
      this.tp = tp;
    }
  }

  private final int concurrency;
  private final Ordering ordering;
  private final Executor executor;
  private final Ticker ticker;
  private final Timer workerWait;
  private final Step<K, V> step;
  private final BooleanSupplier running;

  /** Told of a record left unfinished in a lane whose partition was revoked while it ran. */
  private final java.util.function.Consumer<Item<K, V>> abandon;

  private final Map<Object, Lane<K, V>> lanes = new HashMap<>();
  private final ArrayDeque<Lane<K, V>> ready = new ArrayDeque<>();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private int workers;

  LaneWorkers(
      ConsumerSettings<K, V> s,
      Executor executor,
      Timer workerWait,
      Step<K, V> step,
      java.util.function.Consumer<Item<K, V>> abandon,
      BooleanSupplier running) {
    this.concurrency = s.concurrency();
    this.ordering = s.ordering();
    this.executor = executor;
    this.ticker = s.ticker();
    this.workerWait = workerWait;
    this.step = step;
    this.abandon = abandon;
    this.running = running;
  }

  /** Engine thread: queues a polled record behind its lane's records. */
  synchronized void add(TopicPartition tp, Item<K, V> item) {
    Object id = laneOf(tp, item);
    Lane<K, V> lane = lanes.computeIfAbsent(id, k -> new Lane<>(k, tp));
    lane.queue.addLast(item);
    if (!lane.scheduled && !lane.waiting) {
      makeReady(lane);
    }
  }

  private Object laneOf(TopicPartition tp, Item<K, V> item) {
    return switch (ordering) {
      case UNORDERED -> new Object();
      case PARTITION -> tp;
      // Records without a key have no key order to keep: they keep their partition's.
      case KEY -> item.raw.key() == null ? tp : Map.entry(tp, ByteBuffer.wrap(item.raw.key()));
    };
  }

  private void makeReady(Lane<K, V> lane) {
    lane.scheduled = true;
    lane.readyAtNanos = ticker.nanoTime();
    ready.addLast(lane);
  }

  /** Engine thread: starts workers for ready lanes, up to the concurrency. */
  void dispatch() {
    int start;
    synchronized (this) {
      start = Math.min(concurrency - workers, ready.size());
      workers += Math.max(0, start);
    }
    for (int i = 0; i < start; i++) {
      try {
        executor.execute(this::work);
      } catch (RejectedExecutionException e) {
        // A user's executor that is full or shut down: this thread takes the task itself.
        work();
      }
    }
  }

  /** A worker: runs ready lanes until none is left. */
  private void work() {
    while (true) {
      Lane<K, V> lane;
      synchronized (this) {
        lane = running.getAsBoolean() && failure.get() == null ? ready.pollFirst() : null;
        if (lane == null) {
          workers--;
          notifyAll();
          return;
        }
      }
      workerWait.record(ticker.nanoTime() - lane.readyAtNanos, TimeUnit.NANOSECONDS);
      try {
        runLane(lane);
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
        synchronized (this) {
          lane.running = null;
          lane.scheduled = false;
        }
      }
    }
  }

  private void runLane(Lane<K, V> lane) {
    while (true) {
      Item<K, V> item;
      synchronized (this) {
        item = lane.queue.peekFirst();
        if (item == null || lane.revoked || !running.getAsBoolean()) {
          lane.scheduled = false;
          if (item == null && lanes.get(lane.id) == lane) {
            lanes.remove(lane.id);
          }
          return;
        }
        lane.running = item;
      }
      Next next = step.step(item);
      synchronized (this) {
        lane.running = null;
        if (lane.revoked && next != Next.DONE) {
          // Its partition moved on while it ran: the claim it may hold is given back.
          abandon.accept(item);
          lane.scheduled = false;
          return;
        }
        switch (next) {
          case DONE -> lane.queue.pollFirst();
          case WAIT -> {
            lane.waiting = true;
            lane.retryAtMillis = item.retryAtMillis;
            lane.scheduled = false;
            notifyAll();
            return;
          }
          case STOP -> {
            lane.scheduled = false;
            return;
          }
        }
      }
    }
  }

  /** Engine thread: the first records of the waiting lanes due by {@code nowMillis}. */
  synchronized List<Item<K, V>> due(long nowMillis) {
    List<Item<K, V>> due = new ArrayList<>();
    for (Lane<K, V> lane : lanes.values()) {
      if (lane.waiting && !lane.revoked && lane.retryAtMillis <= nowMillis) {
        due.add(lane.queue.peekFirst());
      }
    }
    return due;
  }

  /** Engine thread: {@code item}, first of its waiting lane, may run now. */
  synchronized void resume(Item<K, V> item) {
    for (Lane<K, V> lane : lanes.values()) {
      if (lane.waiting && lane.queue.peekFirst() == item) {
        lane.waiting = false;
        makeReady(lane);
        return;
      }
    }
  }

  /** Engine thread: {@code item}, first of its waiting lane, waits on until {@code atMillis}. */
  synchronized void waitOn(Item<K, V> item, long atMillis) {
    for (Lane<K, V> lane : lanes.values()) {
      if (lane.waiting && lane.queue.peekFirst() == item) {
        lane.retryAtMillis = atMillis;
        return;
      }
    }
  }

  /**
   * Engine thread: drops the lanes of partitions no longer owned. Their records not running are
   * returned (their claims are the caller's to release); a record running now ends on its worker.
   */
  synchronized List<Item<K, V>> revoke(Collection<TopicPartition> tps) {
    List<Item<K, V>> dropped = new ArrayList<>();
    lanes
        .values()
        .removeIf(
            lane -> {
              if (!tps.contains(lane.tp)) {
                return false;
              }
              lane.revoked = true;
              lane.queue.stream().filter(i -> i != lane.running).forEach(dropped::add);
              return true;
            });
    ready.removeIf(lane -> lane.revoked);
    return dropped;
  }

  /** Engine thread, once stopped and idle: every record still queued. */
  synchronized List<Item<K, V>> queued() {
    List<Item<K, V>> all = new ArrayList<>();
    lanes.values().forEach(lane -> all.addAll(lane.queue));
    return all;
  }

  /** Whether a worker is running. */
  synchronized boolean busy() {
    return workers > 0;
  }

  /** Waits up to {@code millis} for every worker to end. */
  synchronized boolean awaitIdle(long millis) throws InterruptedException {
    if (workers > 0) {
      wait(millis);
    }
    return workers == 0;
  }

  /** What a worker threw (the first), or null. */
  Throwable failure() {
    return failure.get();
  }
}
