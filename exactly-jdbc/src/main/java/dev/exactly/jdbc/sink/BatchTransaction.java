package dev.exactly.jdbc.sink;

import dev.exactly.FaultPoint;
import dev.exactly.jdbc.internal.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * One database transaction of the sink: the handler's rows and the offsets past them, committed
 * only where this instance's epoch is still current. Reports failures instead of throwing them, so
 * its callers decide between retry, bisection, dead letter and fencing.
 */
final class BatchTransaction<K, V> {
  private final SinkContext<K, V> ctx;

  BatchTransaction(SinkContext<K, V> ctx) {
    this.ctx = ctx;
  }

  /** The result of one transaction: committed, refused by the offset table, or failed. */
  record Outcome(boolean committed, Set<TopicPartition> refused, Exception error) {
    static final Outcome COMMITTED = new Outcome(true, Set.of(), null);
  }

  /**
   * One transaction: the handler's rows (when {@code withHandler}) and the offsets past {@code
   * items}, fenced by epoch. Never throws for database or handler errors; returns them.
   */
  Outcome run(List<PolledRecord<K, V>> items, boolean withHandler) {
    return run(items, withHandler, null);
  }

  /**
   * Like {@link #run(List, boolean)}, with {@code alongside} done in the same transaction just
   * before the offsets move: it commits with them or not at all.
   */
  Outcome run(List<PolledRecord<K, V>> items, boolean withHandler, Work alongside) {
    Map<TopicPartition, Long> next = new LinkedHashMap<>();
    for (PolledRecord<K, V> i : items) {
      next.merge(i.tp(), i.raw().offset() + 1, Math::max);
    }
    long started = ctx.ticker.nanoTime();
    try (Connection c = ctx.dataSource.getConnection()) {
      Transactions.run(
          c,
          connection -> {
            ctx.settings.faults().reached(FaultPoint.SINK_BEFORE_HANDLER);
            if (withHandler) {
              List<ConsumerRecord<K, V>> records = new ArrayList<>(items.size());
              items.forEach(i -> records.add(i.typed()));
              ctx.metrics.recordsIn.increment(records.size());
              callHandler(Collections.unmodifiableList(records), connection);
            }
            ctx.settings.faults().reached(FaultPoint.SINK_INSIDE_DB_TRANSACTION);
            if (alongside != null) {
              alongside.run(connection);
            }
            Set<TopicPartition> refused = ctx.offsets.advance(connection, next, ctx.own.owned);
            if (!refused.isEmpty()) {
              throw new RefusedCommit(refused);
            }
            return null;
          });
    } catch (RefusedCommit r) {
      return new Outcome(false, r.partitions, null);
    } catch (Exception e) {
      return new Outcome(false, Set.of(), e);
    }
    ctx.metrics.commitLatency.record(ctx.ticker.nanoTime() - started, TimeUnit.NANOSECONDS);
    if (withHandler) {
      ctx.metrics.batchSize.record(items.size());
      ctx.metrics.recordsCommitted.increment(items.size());
    }
    ctx.own.committed(next);
    ctx.settings.faults().reached(FaultPoint.SINK_AFTER_DB_COMMIT);
    return Outcome.COMMITTED;
  }

  /**
   * Runs the handler on {@code items} in a transaction that always rolls back: whether they fail
   * alone, and how, with nothing written and no offset moved.
   *
   * @return the failure, empty when the handler succeeded
   */
  Optional<Exception> probe(List<PolledRecord<K, V>> items) {
    List<ConsumerRecord<K, V>> records = new ArrayList<>(items.size());
    items.forEach(i -> records.add(i.typed()));
    try (Connection c = ctx.dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      Exception failure = null;
      try {
        callHandler(Collections.unmodifiableList(records), c);
      } catch (Exception e) {
        failure = e;
      }
      c.rollback();
      if (autoCommit) {
        c.setAutoCommit(true);
      }
      return Optional.ofNullable(failure);
    } catch (SQLException e) {
      return Optional.of(e);
    }
  }

  private void callHandler(List<ConsumerRecord<K, V>> records, Connection c) throws Exception {
    try {
      ctx.settings.handler().handle(records, c);
    } catch (Exception e) {
      throw e;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      // An AssertionError or LinkageError from user code must not kill the engine thread.
      throw new HandlerFailedException(t);
    }
  }

  /** Database work that joins a batch's transaction. */
  @FunctionalInterface
  interface Work {
    void run(Connection connection) throws SQLException;
  }

  /** The offset table refused these partitions: the transaction must roll back, not commit. */
  private static final class RefusedCommit extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Set<TopicPartition> partitions;

    RefusedCommit(Set<TopicPartition> partitions) {
      super("offset table refused " + partitions, null, false, false);
      this.partitions = partitions;
    }
  }

  /** Wraps a non-{@code Exception} throwable from the handler; a poison-path failure. */
  static final class HandlerFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    HandlerFailedException(Throwable cause) {
      super("the batch handler threw " + cause, cause);
    }
  }
}
