package dev.exactly.testkit;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
  private final List<String> needles;
  private final List<String> matching = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  private LogLines(List<String> needles) {
    this.needles = List.copyOf(needles);
    this.original = System.err;
    System.setErr(new PrintStream(new Counting(), true, StandardCharsets.UTF_8));
  }

  /** Starts counting; {@link #close()} puts the original stream back. */
  public static LogLines capture() {
    return new LogLines(List.of());
  }

  /** Starts counting, and keeps every whole line that contains one of {@code needles}. */
  public static LogLines capture(String... needles) {
    return new LogLines(List.of(needles));
  }

  /** The lines so far that contained one of the needles given to {@link #capture(String...)}. */
  public List<String> matching() {
    return List.copyOf(matching);
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

  private void keepIfMatching(int b) {
    synchronized (line) {
      if (b != '\n') {
        line.write(b);
        return;
      }
      String text = line.toString(StandardCharsets.UTF_8);
      line.reset();
      for (String needle : needles) {
        if (text.contains(needle)) {
          matching.add(text);
          return;
        }
      }
    }
  }

  private final class Counting extends OutputStream {
    @Override
    public void write(int b) {
      original.write(b);
      if (!needles.isEmpty()) {
        keepIfMatching(b);
      }
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
