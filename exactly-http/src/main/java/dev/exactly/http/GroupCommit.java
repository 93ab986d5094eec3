package dev.exactly.http;

import dev.exactly.jdbc.internal.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import javax.sql.DataSource;

/**
 * Commits the transactions of concurrent requests together. A commit is the expensive part of an
 * accepted request (H2 writes its store, a server database flushes its log), so requests that
 * arrive while one group commits wait and go into the next group: one transaction, one commit, each
 * request inside its own savepoint so that a request that fails (a duplicate key, a hook that
 * refuses) is rolled back alone. Nothing waits on purpose: an idle server commits each request by
 * itself.
 *
 * <p>No thread of its own: the first waiting request thread commits for the others (leader and
 * followers), so an {@link IdempotentIngest} needs no lifecycle. Requests are spread over stripes,
 * each with its own group and transaction, by a hash the caller chooses: the key's, so that two
 * requests with one key meet in one transaction (the second fails at once on the duplicate) or in
 * two consecutive ones (it sees the first committed), never in two concurrent transactions where
 * one would wait for the other's row lock.
 */
final class GroupCommit<T> {
  /** One request's part of a group's transaction. */
  interface Part<T> {
    T run(Connection tx) throws SQLException;
  }

  /** What a part came to: its value once its group committed, or why it did not. */
  record Result<T>(T value, Throwable failure) {}

  /** The pool refused a connection: nothing of the group ran. */
  static final class NoConnection extends SQLException {
    private static final long serialVersionUID = 1L;

    NoConnection(SQLException cause) {
      super(cause.getMessage(), cause.getSQLState(), cause.getErrorCode(), cause);
    }
  }

  private static final class Pending<T> {
    final Part<T> part;
    boolean done;
    T value;
    Throwable failure;

    Pending(Part<T> part) {
      this.part = part;
    }
  }

  private static final class Stripe<T> {
    final ReentrantLock lock = new ReentrantLock();
    final ConcurrentLinkedQueue<Pending<T>> queue = new ConcurrentLinkedQueue<>();
  }

  private final DataSource dataSource;
  private final int maxGroup;
  private final IntConsumer committed;
  private final Part<?> begin;
  private final Part<?> beforeCommit;
  private final List<Stripe<T>> stripes = new ArrayList<>();

  /**
   * @param maxGroup the most requests in one transaction; 1 commits each request by itself
   * @param stripes how many groups may commit at once
   * @param committed told the size of each group whose transaction committed
   * @param begin run first in each transaction
   * @param beforeCommit run once per transaction in which a part succeeded, before its commit
   */
  GroupCommit(
      DataSource dataSource,
      int maxGroup,
      int stripes,
      IntConsumer committed,
      Part<?> begin,
      Part<?> beforeCommit) {
    this.dataSource = dataSource;
    this.maxGroup = maxGroup;
    this.committed = committed;
    this.begin = begin;
    this.beforeCommit = beforeCommit;
    for (int i = 0; i < stripes; i++) {
      this.stripes.add(new Stripe<>());
    }
  }

  /**
   * Runs {@code part} in the next transaction of the stripe {@code hash} picks; returns once that
   * transaction committed or failed.
   */
  Result<T> run(int hash, Part<T> part) {
    Pending<T> pending = new Pending<>(part);
    if (maxGroup == 1) {
      // Each request its own transaction, as many at once as there are request threads.
      commit(List.of(pending));
      return new Result<>(pending.value, pending.failure);
    }
    Stripe<T> stripe = stripes.get(Math.floorMod(hash, stripes.size()));
    stripe.queue.add(pending);
    stripe.lock.lock();
    try {
      // Whoever holds the lock commits what is queued; a request may find its part done already.
      while (!pending.done) {
        commit(drain(stripe));
      }
    } finally {
      stripe.lock.unlock();
    }
    return new Result<>(pending.value, pending.failure);
  }

  private List<Pending<T>> drain(Stripe<T> stripe) {
    List<Pending<T>> group = new ArrayList<>();
    Pending<T> next;
    while (group.size() < maxGroup && (next = stripe.queue.poll()) != null) {
      group.add(next);
    }
    return group;
  }

  private void commit(List<Pending<T>> group) {
    Throwable groupFailure = null;
    try (Connection c = connect()) {
      int ran =
          Transactions.run(
              c,
              tx -> {
                begin.run(tx);
                int ok = 0;
                for (Pending<T> p : group) {
                  runInSavepoint(tx, p);
                  ok += p.failure == null ? 1 : 0;
                }
                if (ok > 0) {
                  beforeCommit.run(tx);
                }
                return ok;
              });
      if (ran > 0) {
        committed.accept(ran);
      }
    } catch (Throwable e) {
      groupFailure = e;
    }
    for (Pending<T> p : group) {
      if (p.failure == null && groupFailure != null) {
        // Its part ran, but the transaction holding it did not commit.
        p.value = null;
        p.failure = groupFailure;
      }
      p.done = true;
    }
    if (groupFailure instanceof Error e) {
      throw e;
    }
  }

  private Connection connect() throws NoConnection {
    try {
      return dataSource.getConnection();
    } catch (SQLException e) {
      throw new NoConnection(e);
    }
  }

  private static <T> void runInSavepoint(Connection tx, Pending<T> p) throws SQLException {
    // Not released on success: a release costs a round trip, and the savepoints go with the commit.
    Savepoint before = tx.setSavepoint();
    try {
      p.value = p.part.run(tx);
    } catch (SQLException | RuntimeException e) {
      p.failure = e;
      // Throws when the database dropped the whole transaction (a MariaDB deadlock): then every
      // part of the group fails with it.
      tx.rollback(before);
    }
  }
}
