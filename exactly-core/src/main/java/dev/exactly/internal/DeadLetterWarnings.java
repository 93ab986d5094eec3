package dev.exactly.internal;

import dev.exactly.DeadLetterReason;
import dev.exactly.Ticker;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WARN line every component writes when it gives a record up: one line per dead letter, but at
 * most one a second, so a flood of bad records cannot flood the log; the next line says how many
 * went unlogged meanwhile. The count of every dead letter is the {@code exactly.dead.letters}
 * meter, which this class does not touch.
 *
 * <p>Thread-safe.
 */
public final class DeadLetterWarnings {
  static final Duration EVERY = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(DeadLetterWarnings.class);

  private final String owner;
  private final Ticker ticker;
  private final Consumer<String> out;
  private boolean logged;
  private long nextNanos;
  private long unlogged;

  /**
   * @param owner how the line names the component, for example {@code db sink orders/node-1}
   */
  public DeadLetterWarnings(String owner, Ticker ticker) {
    this(owner, ticker, log::warn);
  }

  DeadLetterWarnings(String owner, Ticker ticker, Consumer<String> out) {
    this.owner = owner;
    this.ticker = ticker;
    this.out = out;
  }

  /**
   * @param what the record given up, for example {@code orders-3@1200} or {@code outbox row 17}
   * @param deadLetterTopic where it went
   */
  public void gaveUp(
      String what, String deadLetterTopic, DeadLetterReason reason, Throwable cause) {
    String line;
    synchronized (this) {
      long now = ticker.nanoTime();
      if (logged && now - nextNanos < 0) {
        unlogged++;
        return;
      }
      line =
          owner
              + ": "
              + what
              + " sent to dead-letter topic "
              + deadLetterTopic
              + " ("
              + reason.code()
              + "): "
              + cause
              + (unlogged > 0 ? " (and " + unlogged + " more since the last line)" : "");
      logged = true;
      unlogged = 0;
      nextNanos = now + EVERY.toNanos();
    }
    out.accept(line);
  }
}
