package dev.exactly.cli.demo;

import dev.exactly.testkit.ChildProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * One pipeline stage as a child JVM that the demo SIGKILLs and starts again with the same
 * arguments; its output from every run is appended to one log file.
 */
final class Stage implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final String name;
  private final Class<?> main;
  private final StageArgs args;
  private final Path log;
  private ChildProcess process;

  Stage(String name, Class<?> main, StageArgs args, Path logDir) {
    this.name = name;
    this.main = main;
    this.args = args;
    this.log = logDir.resolve(name + ".log");
  }

  String name() {
    return name;
  }

  Path log() {
    return log;
  }

  /** Starts the child; {@link #awaitReady} waits until its components run. */
  synchronized void start() {
    process =
        ChildProcess.builder(main)
            .name(name)
            .jvmArgs("-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xss512k")
            .args(args.toArgs())
            .output(log)
            .start();
  }

  /** Waits for this run's ready line (each run prints its own pid in it). */
  void awaitReady() throws TimeoutException {
    ChildProcess p;
    synchronized (this) {
      p = process;
    }
    p.awaitOutput(StageMains.READY + " " + name + "-p" + p.pid(), START_TIMEOUT);
  }

  /** SIGKILL: no shutdown hook, no close, no flush; then the same stage starts again. */
  synchronized void kill() {
    process.kill();
  }

  synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  @Override
  public synchronized void close() {
    if (process != null) {
      process.close();
    }
  }
}
