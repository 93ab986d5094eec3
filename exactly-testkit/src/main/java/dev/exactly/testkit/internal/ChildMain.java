package dev.exactly.testkit.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Entry point of every child JVM: halts the child when its parent goes away, then runs the real
 * main class given as the first argument.
 *
 * <p>The parent holds the child's stdin open for the child's whole life. End of input therefore
 * means the parent died (even by SIGKILL, which runs no shutdown hook), and the child must not
 * outlive it: orphaned brokers would hold ports and disk and confuse the next run.
 */
public final class ChildMain {
  /** Exit code of a child whose parent went away, as after SIGHUP. */
  public static final int PARENT_GONE = 129;

  private static final long GRACE_MILLIS = 10_000;

  private ChildMain() {}

  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      System.err.println("usage: ChildMain <main class> [args...]");
      System.exit(2);
    }
    Thread watchdog = new Thread(ChildMain::haltOnEndOfInput, "exactly-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static void haltOnEndOfInput() {
    InputStream in = System.in;
    try {
      while (in.read() >= 0) {
        // the parent sends nothing; any byte is ignored
      }
    } catch (IOException ignored) {
      // a broken pipe means the same as end of input
    }
    // Shut down in order (a broker flushes and deregisters), but never outlive the grace period.
    Thread reaper =
        new Thread(
            () -> {
              try {
                Thread.sleep(GRACE_MILLIS);
              } catch (InterruptedException ignored) {
                // halting anyway
              }
              Runtime.getRuntime().halt(PARENT_GONE);
            },
            "exactly-parent-reaper");
    reaper.setDaemon(true);
    reaper.start();
    System.exit(PARENT_GONE);
  }
}
