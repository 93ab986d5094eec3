package dev.exactly.cli;

import dev.exactly.Component;
import dev.exactly.ComponentState;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

/**
 * Runs a started component until Ctrl-C, SIGTERM, its own end or a condition: prints a progress
 * line about once a second, then closes the component within its timeout and says how it ended.
 *
 * <p>SIGINT and SIGTERM are handled, not left to the JVM's shutdown, so that the command closes its
 * component on the main thread and exits 0 after a clean stop (a JVM ending on SIGTERM exits 143
 * whatever its hooks do). The previous handlers come back when {@link #run} returns. {@code
 * sun.misc.Signal} is reached by reflection, as Kafka's own tools do: the build refuses
 * compile-time use of internal API, and a JVM without it still runs the command (Ctrl-C then ends
 * the JVM without a clean close, which the component's guarantees survive).
 */
final class LongRunning {
  static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(1);

  private final String name;
  private final Component component;
  private final Duration closeTimeout;
  private final Progress progress;
  private final PrintWriter out;
  private final PrintWriter err;
  private final CountDownLatch stop = new CountDownLatch(1);
  private Runnable beforeClose = () -> {};

  LongRunning(
      String name,
      Component component,
      Duration closeTimeout,
      Progress progress,
      PrintWriter out,
      PrintWriter err) {
    this.name = name;
    this.component = component;
    this.closeTimeout = closeTimeout;
    this.progress = progress;
    this.out = out;
    this.err = err;
  }

  /**
   * Something to stop before the component closes, such as a server that feeds it; runs on the
   * thread of {@link #run}.
   */
  LongRunning beforeClose(Runnable action) {
    this.beforeClose = action;
    return this;
  }

  /** Asks {@link #run} to stop, as a signal does; callable from any thread. */
  void stop() {
    stop.countDown();
  }

  /**
   * Blocks until stopped or until {@code done} is true (checked after each progress line), then
   * closes the component.
   *
   * @return 0 when the component closed cleanly, 1 when it failed or did not close in time
   */
  int run(BooleanSupplier done) throws Exception {
    List<Restore> restore = new ArrayList<>();
    for (String signal : List.of("TERM", "INT")) {
      restore.add(handle(signal));
    }
    try {
      long interval = PROGRESS_INTERVAL.toMillis();
      while (!component.state().isTerminal()) {
        if (stop.await(interval, java.util.concurrent.TimeUnit.MILLISECONDS)) {
          out.println(name + ": stopping");
          break;
        }
        out.println(name + ": " + progress.line());
        out.flush();
        if (done.getAsBoolean()) {
          break;
        }
      }
      beforeClose.run();
      boolean closed = component.close(closeTimeout);
      out.println(name + ": " + progress.line());
      if (component.state() != ComponentState.CLOSED || !closed) {
        err.println(
            name
                + " stopped: "
                + component.state()
                + component.failure().map(f -> " " + f).orElse("")
                + (closed ? "" : " (not closed within " + closeTimeout + ")"));
        err.flush();
        return 1;
      }
      out.println(name + ": stopped");
      out.flush();
      return 0;
    } finally {
      restore.forEach(Restore::run);
    }
  }

  private interface Restore extends Runnable {}

  private Restore handle(String signal) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Object s = signalClass.getConstructor(String.class).newInstance(signal);
      Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
      Object ours =
          Proxy.newProxyInstance(
              handlerClass.getClassLoader(),
              new Class<?>[] {handlerClass},
              (proxy, method, args) ->
                  switch (method.getName()) {
                    case "handle" -> {
                      stop.countDown();
                      yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> name + " stop handler";
                  });
      Object previous = handle.invoke(null, s, ours);
      return () -> {
        try {
          handle.invoke(null, s, previous);
        } catch (ReflectiveOperationException e) {
          err.println(name + ": cannot restore the " + signal + " handler: " + e);
        }
      };
    } catch (ReflectiveOperationException | RuntimeException unavailable) {
      // No sun.misc.Signal, or no such signal here: the JVM's default handling stays.
      return () -> {};
    }
  }
}
