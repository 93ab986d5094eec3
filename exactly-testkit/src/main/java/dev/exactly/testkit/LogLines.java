package dev.exactly.testkit;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the lines written to {@code System.err} while it is open, for a test that a failure does
 * not flood the log. The tests' SLF4J binding, slf4j-simple, writes every line to {@code
 * System.err} as it is at that moment, so swapping the stream sees the Kafka clients' lines too.
 * The lines still reach the original stream. Not for parallel tests: the stream is global.
 *
 * <pre>{@code
 * try (LogLines lines = LogLines.capture()) {
 *   ... the code under test ...
 *   assertThat(lines.count()).isLessThan(100);
 * }
 * }</pre>
 */
public final class LogLines implements AutoCloseable {
  private static final int KEPT_CHARS = 64 * 1024;

  private final PrintStream original;
  private final AtomicLong lines = new AtomicLong();
  private final StringBuilder kept = new StringBuilder();

  private LogLines() {
    this.original = System.err;
    System.setErr(new PrintStream(new Counting(), true, StandardCharsets.UTF_8));
  }

  /** Starts counting; {@link #close()} puts the original stream back. */
  public static LogLines capture() {
    return new LogLines();
  }

  /** Lines written so far. */
  public long count() {
    return lines.get();
  }

  /** The first 64 KiB written, to show in a failed assertion. */
  public String head() {
    synchronized (kept) {
      return kept.toString();
    }
  }

  @Override
  public void close() {
    System.err.flush();
    System.setErr(original);
  }

  private final class Counting extends OutputStream {
    @Override
    public void write(int b) {
      original.write(b);
      if (b == '\n') {
        lines.incrementAndGet();
      }
      synchronized (kept) {
        if (kept.length() < KEPT_CHARS) {
          kept.append((char) b);
        }
      }
    }
  }
}
