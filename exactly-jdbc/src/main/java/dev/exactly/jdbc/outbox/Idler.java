package dev.exactly.jdbc.outbox;

import java.sql.SQLException;
import java.time.Duration;

/** How the relay waits when the table has nothing new: a notification, or a plain sleep. */
interface Idler {
  /** Waits until woken or for at most {@code atMost}. */
  void idle(Duration atMost) throws SQLException, InterruptedException;

  /** Whether writes wake this idler, so long waits cost no latency. */
  boolean prompt();

  /** Stops listening; the session may go back to a pool. */
  default void close() {}

  Idler SLEEP =
      new Idler() {
        @Override
        public void idle(Duration atMost) throws InterruptedException {
          Thread.sleep(atMost.toMillis(), 0);
        }

        @Override
        public boolean prompt() {
          return false;
        }
      };
}
