package dev.exactly.jdbc.sink;

import dev.exactly.Ticker;
import dev.exactly.internal.Waits;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.internal.SqlErrorKind;
import dev.exactly.jdbc.sink.OffsetTable.Position;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the jobs of one started sink share: its settings, clients, database, meters and time, and
 * the few moves they all make (wait, retry a database call, seek a partition). Engine thread only.
 */
final class SinkContext<K, V> {
  private static final Logger log = LoggerFactory.getLogger(SinkContext.class);

  final SinkSettings<K, V> settings;
  final SinkMetrics metrics;
  final Ticker ticker;
  final DataSource dataSource;
  final Dialect dialect;
  final OffsetTable offsets;
  final KafkaConsumer<byte[], byte[]> consumer;
  final Ownership own = new Ownership();
  private final BooleanSupplier running;

  SinkContext(
      SinkSettings<K, V> settings,
      SinkMetrics metrics,
      BooleanSupplier running,
      DataSource dataSource,
      Dialect dialect,
      OffsetTable offsets,
      KafkaConsumer<byte[], byte[]> consumer) {
    this.settings = settings;
    this.metrics = metrics;
    this.ticker = settings.ticker();
    this.running = running;
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.offsets = offsets;
    this.consumer = consumer;
  }

  /** Whether the sink is still RUNNING: every loop of every job stops when it is not. */
  boolean running() {
    return running.getAsBoolean();
  }

  String instanceId() {
    return settings.instanceId();
  }

  /** Waits on the ticker, but returns early when the sink is closing. */
  void pause(Duration wait) {
    Waits.sleepWhileQuietly(ticker, wait, running);
  }

  /**
   * Whether a failed offset-table call may be tried again: a transient error, or a duplicate key
   * from two instances inserting the same new offset row at once.
   */
  boolean isRetriable(SQLException e) {
    return dialect.isTransient(e) || dialect.classify(e) == SqlErrorKind.DUPLICATE_KEY;
  }

  @FunctionalInterface
  interface SqlWork {
    void run() throws SQLException;
  }

  /**
   * Runs {@code work}, retrying what {@link #isRetriable} allows by the retry policy.
   *
   * @throws IllegalStateException when the errors persist: the engine stops
   */
  void withRetries(String what, SqlWork work) {
    for (int attempt = 1; ; attempt++) {
      try {
        work.run();
        return;
      } catch (SQLException e) {
        if (!isRetriable(e) || !settings.retry().canRetryAfter(attempt)) {
          throw new IllegalStateException(
              what + " failed after " + attempt + " attempt(s): " + e.getMessage(), e);
        }
        metrics.retries.increment();
        pause(settings.retry().backoffAfter(attempt));
      }
    }
  }

  /** Positions {@code tp} where the database says it stands, or by auto.offset.reset if new. */
  void seekTo(TopicPartition tp, Position p) {
    if (p.nextOffset() >= 0) {
      consumer.seek(tp, p.nextOffset());
    } else if ("latest"
        .equals(settings.consumerProperties().get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG))) {
      consumer.seekToEnd(List.of(tp));
    } else {
      consumer.seekToBeginning(List.of(tp));
    }
  }

  /**
   * Transient errors outlasted the retry policy: polls {@code batch}'s partitions again from their
   * first record in it, after the policy's longest wait.
   */
  void rewind(List<PolledRecord<K, V>> batch, Exception error) {
    Map<TopicPartition, Long> first = new LinkedHashMap<>();
    for (PolledRecord<K, V> i : batch) {
      first.putIfAbsent(i.tp(), i.raw().offset());
    }
    log.warn(
        "db sink {}: transient database errors outlasted {}; polling {} again: {}",
        instanceId(),
        settings.retry(),
        first.keySet(),
        error.toString());
    first.forEach(
        (tp, offset) -> {
          consumer.seek(tp, offset);
          own.skip.add(tp);
        });
    pause(settings.retry().maxBackoff());
  }
}
