package dev.exactly.cli.demo;

import dev.exactly.Component;
import java.time.Duration;

/** What every stage's main does once its components run: say so, then live until killed. */
final class StageMains {
  /** The line the parent waits for before it counts a stage as up. */
  static final String READY = "STAGE READY";

  private StageMains() {}

  /**
   * Prints {@link #READY}, then waits until a component stops by itself and exits non-zero naming
   * why, so a stage that fails is seen in its log and restarted by the demo like a killed one.
   */
  static void ready(String stage, Component... components) throws InterruptedException {
    System.out.println(READY + " " + StageArgs.runId(stage));
    System.out.flush();
    while (true) {
      for (Component c : components) {
        if (c.awaitTermination(Duration.ofMillis(200))) {
          System.out.println(
              stage
                  + " stopped: "
                  + c.state()
                  + " "
                  + c.failure().map(Throwable::toString).orElse(""));
          System.exit(4);
        }
      }
    }
  }
}
