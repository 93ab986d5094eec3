package dev.exactly.processor;

import dev.exactly.Ordering;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * Computes a poll's records on up to {@code concurrency} worker tasks at once: the records are cut
 * into lanes by the {@link Ordering} (a key's records in one lane, in offset order), and each task
 * takes whole lanes from a shared queue. The engine thread waits for every lane, then emits the
 * results in poll order, so the transaction sees outputs in input-offset order per partition.
 */
final class PollWorkers {
  private final RecordRunner<?, ?, ?, ?> runner;
  private final Executor executor;
  private final int concurrency;
  private final Ordering ordering;

  PollWorkers(
      RecordRunner<?, ?, ?, ?> runner, Executor executor, int concurrency, Ordering ordering) {
    this.runner = runner;
    this.executor = executor;
    this.concurrency = concurrency;
    this.ordering = ordering;
  }

  /**
   * Every record of {@code records} computed, in poll order. A lane whose record stopped (the
   * processor closing during a backoff) leaves its later records {@code STOPPED} too.
   *
   * @throws InterruptedException when the engine thread is interrupted while lanes still run; their
   *     results are then dropped
   */
  List<RecordRunner.Computed> compute(
      ConsumerRecords<byte[], byte[]> records, BooleanSupplier running)
      throws InterruptedException {
    List<ConsumerRecord<byte[], byte[]>> inOrder = new ArrayList<>(records.count());
    records.forEach(inOrder::add);
    RecordRunner.Computed[] results = new RecordRunner.Computed[inOrder.size()];
    Queue<int[]> lanes = new ConcurrentLinkedQueue<>(lanes(inOrder));
    int tasks = Math.min(concurrency, lanes.size());
    CountDownLatch done = new CountDownLatch(tasks);
    List<RuntimeException> failures = new ArrayList<>(1);
    for (int t = 0; t < tasks; t++) {
      Runnable task =
          () -> {
            try {
              for (int[] lane = lanes.poll(); lane != null; lane = lanes.poll()) {
                run(lane, inOrder, results, running);
              }
            } catch (RuntimeException | Error e) {
              synchronized (failures) {
                failures.add(e instanceof RuntimeException r ? r : new IllegalStateException(e));
              }
            } finally {
              done.countDown();
            }
          };
      try {
        executor.execute(task);
      } catch (RejectedExecutionException e) {
        // A user's executor that is full or shut down: this thread takes the task itself.
        task.run();
      }
    }
    done.await();
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
    return List.of(results);
  }

  private void run(
      int[] lane,
      List<ConsumerRecord<byte[], byte[]>> inOrder,
      RecordRunner.Computed[] results,
      BooleanSupplier running) {
    boolean stopped = false;
    for (int i : lane) {
      ConsumerRecord<byte[], byte[]> raw = inOrder.get(i);
      results[i] = stopped ? RecordRunner.Computed.stopped(raw) : runner.compute(raw, running);
      stopped = results[i].result == RecordRunner.Result.STOPPED;
    }
  }

  /** The poll's indexes cut into lanes, each in poll (so offset) order. */
  private List<int[]> lanes(List<ConsumerRecord<byte[], byte[]>> inOrder) {
    Map<Object, List<Integer>> byLane = new LinkedHashMap<>();
    for (int i = 0; i < inOrder.size(); i++) {
      byLane.computeIfAbsent(laneOf(inOrder.get(i), i), k -> new ArrayList<>()).add(i);
    }
    List<int[]> lanes = new ArrayList<>(byLane.size());
    byLane.values().forEach(l -> lanes.add(l.stream().mapToInt(Integer::intValue).toArray()));
    return lanes;
  }

  private Object laneOf(ConsumerRecord<byte[], byte[]> r, int index) {
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    return switch (ordering) {
      case UNORDERED -> index;
      case PARTITION -> tp;
      // Records without a key have no key order to keep: they keep their partition's.
      case KEY -> r.key() == null ? tp : Map.entry(tp, ByteBuffer.wrap(r.key()));
    };
  }
}
