package dev.exactly.testkit;

import dev.exactly.testkit.internal.ChildMain;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A main class of this project running in a child JVM, with its output captured to a file, that a
 * test can SIGKILL, SIGTERM, SIGSTOP and SIGCONT.
 *
 * <p>The child runs the same {@code java} as this JVM with this JVM's class path unless told
 * otherwise, and halts by itself when this JVM dies, so a crashed test run leaves no orphans.
 * Signals other than SIGKILL and SIGTERM are sent with the system's {@code kill} command (Linux and
 * macOS).
 */
public final class ChildProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final OutputStream stdin;
  private final Path output;

  private ChildProcess(String name, Process process, Path output) {
    this.name = name;
    this.process = process;
    this.stdin = process.getOutputStream();
    this.output = output;
  }

  public static Builder builder(Class<?> mainClass) {
    return new Builder(mainClass.getName());
  }

  public static Builder builder(String mainClass) {
    return new Builder(mainClass);
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The file holding the child's standard output and standard error. */
  public Path output() {
    return output;
  }

  /** Everything the child has written so far. */
  public String outputText() {
    try {
      return Files.readString(output, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + output, e);
    }
  }

  /** SIGKILL: no shutdown hook runs. Returns once the child is gone. */
  public void kill() {
    process.destroyForcibly();
    awaitExitUninterruptibly();
  }

  /** SIGTERM: shutdown hooks run. Does not wait; see {@link #awaitExit}. */
  public void terminate() {
    // Not Process.destroy(): it also closes the child's stdin, which the child reads as "parent
    // died" and would race its own orderly shutdown.
    signal("TERM");
  }

  /** SIGSTOP: the child freezes mid-instruction, as under a long GC pause or a VM stall. */
  public void pause() {
    signal("STOP");
  }

  /** SIGCONT: a paused child carries on where it stopped. */
  public void resume() {
    signal("CONT");
  }

  /** Waits for the child to exit and returns its exit code (137 after SIGKILL). */
  public int awaitExit(Duration timeout) throws TimeoutException {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new TimeoutException(name + " (pid " + pid() + ") still runs after " + timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + name, e);
    }
    closeStdin();
    return process.exitValue();
  }

  /**
   * Waits until the child's output contains {@code text}.
   *
   * @throws TimeoutException naming the output file, when the text has not appeared in time
   * @throws IllegalStateException when the child exits before the text appears
   */
  public void awaitOutput(String text, Duration timeout) throws TimeoutException {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      if (outputText().contains(text)) {
        return;
      }
      if (!process.isAlive()) {
        if (outputText().contains(text)) {
          return;
        }
        throw new IllegalStateException(
            name
                + " exited with code "
                + process.exitValue()
                + " before printing '"
                + text
                + "'; see "
                + output);
      }
      if (Instant.now().isAfter(deadline)) {
        throw new TimeoutException(
            name + " did not print '" + text + "' within " + timeout + "; see " + output);
      }
      sleep(Duration.ofMillis(50));
    }
  }

  /** Kills the child if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
    closeStdin();
  }

  private void signal(String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException(
            "kill -" + signal + " " + pid() + " failed for " + name + "; is it still alive?");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kill -" + signal, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted signalling " + name, e);
    }
  }

  private void awaitExitUninterruptibly() {
    boolean interrupted = false;
    while (true) {
      try {
        process.waitFor();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    closeStdin();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeStdin() {
    try {
      stdin.close();
    } catch (IOException ignored) {
      // the child is gone; nothing is lost by a failed close of its input
    }
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Builds a child process; nothing runs until {@link #start()}. */
  public static final class Builder {
    private final String mainClass;
    private final List<String> args = new ArrayList<>();
    private final List<String> jvmArgs = new ArrayList<>(List.of("-XX:+UseSerialGC"));
    private final Map<String, String> systemProperties = new LinkedHashMap<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private String classPath = System.getProperty("java.class.path");
    private String name;
    private Path output;

    private Builder(String mainClass) {
      this.mainClass = Objects.requireNonNull(mainClass, "mainClass");
      this.name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
    }

    /** A name for messages and the default output file. */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    public Builder args(String... values) {
      args.addAll(List.of(values));
      return this;
    }

    public Builder args(List<String> values) {
      args.addAll(values);
      return this;
    }

    public Builder jvmArgs(String... values) {
      jvmArgs.addAll(List.of(values));
      return this;
    }

    public Builder systemProperty(String key, String value) {
      systemProperties.put(key, value);
      return this;
    }

    public Builder environment(String key, String value) {
      environment.put(key, value);
      return this;
    }

    public Builder classPath(String value) {
      this.classPath = Objects.requireNonNull(value, "classPath");
      return this;
    }

    /** The file to append the child's output to; by default a new file under target/. */
    public Builder output(Path file) {
      this.output = Objects.requireNonNull(file, "output");
      return this;
    }

    public ChildProcess start() {
      Path out =
          output != null ? output : TestDirectories.newDirectory("child").resolve(name + ".log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmArgs);
      systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
      command.add("-cp");
      command.add(classPath);
      command.add(ChildMain.class.getName());
      command.add(mainClass);
      command.addAll(args);
      try {
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(
            out,
            "=== " + Instant.now() + " starting " + name + "\n",
            StandardCharsets.UTF_8,
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder pb =
            new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
        pb.environment().putAll(environment);
        return new ChildProcess(name, pb.start(), out);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + name + " (" + mainClass + ")", e);
      }
    }
  }
}
