package dev.exactly.jdbc.outbox;

import dev.exactly.Ticker;
import dev.exactly.internal.Waits;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** How the relay waits when the table has nothing new: a notification, or a plain sleep. */
interface Idler {
  /** Waits until woken or for at most {@code atMost}. */
  void idle(Duration atMost) throws SQLException, InterruptedException;

  /** Whether writes wake this idler, so long waits cost no latency. */
  boolean prompt();

  /** Stops listening; the session may go back to a pool. */
  default void close() {}

  /**
   * Sleeps on {@code ticker}, ending early when {@code keepWaiting} turns false, so that close() is
   * not kept waiting and a test's fake ticker decides when the next poll comes.
   */
  static Idler sleeping(Ticker ticker, BooleanSupplier keepWaiting) {
    return new Idler() {
      @Override
      public void idle(Duration atMost) throws InterruptedException {
        Waits.sleepWhile(ticker, atMost, keepWaiting);
      }

      @Override
      public boolean prompt() {
        return false;
      }
    };
  }
}
