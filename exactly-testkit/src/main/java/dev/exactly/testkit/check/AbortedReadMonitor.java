package dev.exactly.testkit.check;

import dev.exactly.testkit.TopicReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Watches an output topic with a {@code read_committed} consumer while faults happen, remembering
 * the attempt id of every output it sees. Afterwards, {@link #report()} compares them with what a
 * {@code read_uncommitted} reader finds: attempts whose outputs were written but never committed
 * were aborted, and the live reader must never have seen one of them (an aborted read).
 *
 * <p>Relies on {@link RecordCodec} outputs whose attempt id names one transaction.
 */
public final class AbortedReadMonitor implements AutoCloseable {
  private final String bootstrapServers;
  private final String topic;
  private final Set<String> seenAttempts = ConcurrentHashMap.newKeySet();
  private final AtomicLong recordsSeen = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean stalled;
  private final CountDownLatch stalledNow = new CountDownLatch(1);
  private volatile long catchUpDeadlineNanos;
  private volatile boolean caughtUp;

  private final IsolationLevel liveIsolation;

  private AbortedReadMonitor(String bootstrapServers, String topic, IsolationLevel liveIsolation) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.liveIsolation = liveIsolation;
    this.thread = new Thread(this::tail, "aborted-read-monitor-" + topic);
    this.thread.setDaemon(true);
  }

  /** Starts tailing {@code topic} from its beginning. */
  public static AbortedReadMonitor start(String bootstrapServers, String topic) {
    return start(bootstrapServers, topic, IsolationLevel.READ_COMMITTED);
  }

  /**
   * Starts tailing with the given isolation level for the live reader. Only a negative control
   * should pass {@code READ_UNCOMMITTED}: it shows that the check does catch aborted reads.
   */
  public static AbortedReadMonitor start(
      String bootstrapServers, String topic, IsolationLevel liveIsolation) {
    AbortedReadMonitor m =
        new AbortedReadMonitor(
            Objects.requireNonNull(bootstrapServers, "bootstrapServers"),
            Objects.requireNonNull(topic, "topic"),
            Objects.requireNonNull(liveIsolation, "liveIsolation"));
    m.thread.start();
    return m;
  }

  /** Records the live reader has seen so far. */
  public long recordsSeen() {
    return recordsSeen.get();
  }

  private void tail() {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            liveIsolation.toString().toLowerCase(Locale.ROOT),
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            ByteArrayDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ByteArrayDeserializer.class);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(60))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = null;
      while (true) {
        if (!running) {
          // Stopping: first read on to the end as it is now, so that what was not seen was
          // really not there rather than not yet reached.
          if (ends == null) {
            ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
          }
          if (reached(consumer, ends)) {
            caughtUp = true;
            return;
          }
          if (System.nanoTime() > catchUpDeadlineNanos) {
            return;
          }
        }
        if (stalled) {
          stalledNow.countDown();
          Thread.sleep(50);
          continue;
        }
        try {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            seenAttempts.add(RecordCodec.decodeOutput(r.value()).attemptId());
            recordsSeen.incrementAndGet();
          }
        } catch (org.apache.kafka.common.errors.RetriableException e) {
          // a broker restarting under the reader; poll again
        }
      }
    } catch (Throwable e) {
      failure.set(e);
    }
  }

  private static boolean reached(
      KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
      if (consumer.position(e.getKey(), Duration.ofSeconds(30)) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Testing the monitor itself: the live reader stops reading, as one that fell behind; returns
   * once it has.
   */
  void stall() throws InterruptedException {
    stalled = true;
    if (!stalledNow.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the live reader did not stall");
    }
  }

  /**
   * Lets the live reader read on to the topic's end (for at most 60 s), stops it, reads the topic
   * both ways to its end, and reports. Call it once the writers have stopped.
   *
   * @throws IllegalStateException when the live reader failed, did not reach the end, or missed a
   *     committed output: its silence about aborted reads would then prove nothing
   */
  public Report report() {
    return report(Duration.ofSeconds(60));
  }

  /** As {@link #report()}, giving the live reader {@code catchUp} to reach the topic's end. */
  public Report report(Duration catchUp) {
    stop(catchUp);
    if (failure.get() != null) {
      throw new IllegalStateException("the live reader failed", failure.get());
    }
    if (!caughtUp) {
      throw new IllegalStateException(
          "the live reader did not reach the end of "
              + topic
              + " within "
              + catchUp
              + " (it saw "
              + recordsSeen.get()
              + " records): it did not keep up, so seeing no aborted output proves nothing");
    }
    Set<String> committed = attempts(TopicReader.readCommitted(bootstrapServers, topic));
    Set<String> missed = new TreeSet<>(committed);
    missed.removeAll(seenAttempts);
    if (!missed.isEmpty()) {
      throw new IllegalStateException(
          "the live reader missed "
              + missed.size()
              + " committed attempts, e.g. "
              + missed.stream().limit(5).toList()
              + ": it did not read the whole topic, so seeing no aborted output proves nothing");
    }
    Set<String> written = attempts(TopicReader.readUncommitted(bootstrapServers, topic));
    Set<String> aborted = new TreeSet<>(written);
    aborted.removeAll(committed);
    Set<String> abortedReads = new TreeSet<>(seenAttempts);
    abortedReads.retainAll(aborted);
    return new Report(recordsSeen.get(), committed.size(), aborted, abortedReads);
  }

  private static Set<String> attempts(List<ConsumerRecord<byte[], byte[]>> records) {
    Set<String> ids = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      ids.add(RecordCodec.decodeOutput(r.value()).attemptId());
    }
    return ids;
  }

  @Override
  public void close() {
    stop(Duration.ZERO);
  }

  private void stop(Duration catchUp) {
    if (running) {
      catchUpDeadlineNanos = System.nanoTime() + catchUp.toNanos();
      running = false;
    }
    try {
      thread.join(catchUp.plusSeconds(30).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * @param liveRecords records the live {@code read_committed} reader saw during the run
   * @param committedAttempts attempts with committed outputs
   * @param abortedAttempts attempts whose outputs were written but never committed
   * @param abortedReads aborted attempts the live reader nevertheless saw: must be empty
   */
  public record Report(
      long liveRecords,
      int committedAttempts,
      Set<String> abortedAttempts,
      Set<String> abortedReads) {
    public Report {
      abortedAttempts = Set.copyOf(abortedAttempts);
      abortedReads = Set.copyOf(abortedReads);
    }

    public String summary() {
      return String.format(
          "live read_committed records %d, committed attempts %d, aborted attempts %d, aborted"
              + " reads %d%s",
          liveRecords,
          committedAttempts,
          abortedAttempts.size(),
          abortedReads.size(),
          abortedReads.isEmpty() ? "" : " e.g. " + abortedReads.stream().limit(5).toList());
    }
  }
}
