package dev.exactly.cli.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * SIGKILLs the stages one after another, every {@code interval}, and starts each again at once;
 * with a killable cluster every third kill is a broker's. Also restarts a stage that stopped by
 * itself, so one failure does not stall the pipeline (counted apart from the kills).
 */
final class Killer implements AutoCloseable {
  /** One kill, for the progress line, the table and the report's charts. */
  record Kill(long atMs, String target) {}

  private final List<Stage> stages;
  private final DemoBrokers brokers;
  private final Duration interval;
  private final LongSupplier clockMs;
  private final List<Kill> kills = new CopyOnWriteArrayList<>();
  private final List<String> crashes = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean killing = true;
  private volatile boolean running = true;
  private volatile boolean busy;

  Killer(List<Stage> stages, DemoBrokers brokers, Duration interval, LongSupplier clockMs) {
    this.stages = List.copyOf(stages);
    this.brokers = brokers;
    this.interval = interval;
    this.clockMs = clockMs;
    this.thread = new Thread(this::loop, "demo-killer");
    this.thread.setDaemon(true);
  }

  /** Starts killing: the first kill comes one interval from now. */
  void start() {
    thread.start();
  }

  /** Stops killing; stages that stop by themselves are still restarted until {@link #close}. */
  void stopKilling() {
    killing = false;
  }

  /** Whether no kill or restart is under way: every stage runs (or the killer has stopped). */
  boolean idle() {
    return !busy;
  }

  List<Kill> kills() {
    return new ArrayList<>(kills);
  }

  List<String> crashes() {
    return new ArrayList<>(crashes);
  }

  private void loop() {
    int next = 0;
    int broker = 0;
    long nextKill = System.nanoTime() + interval.toNanos();
    while (running) {
      try {
        restartStopped();
        if (killing && !interval.isZero() && System.nanoTime() >= nextKill) {
          busy = true;
          boolean brokerTurn = brokers.killable() > 0 && (kills.size() % 3 == 2);
          if (brokerTurn) {
            int id = broker++ % brokers.killable() + 1;
            brokers.killAndRestart(
                id, () -> kills.add(new Kill(clockMs.getAsLong(), "broker-" + id)));
          } else {
            Stage stage = stages.get(next++ % stages.size());
            stage.kill();
            kills.add(new Kill(clockMs.getAsLong(), stage.name()));
            stage.start();
            stage.awaitReady();
          }
          nextKill = System.nanoTime() + interval.toNanos();
        }
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (!running) {
          return; // stopped while waiting for a restart: nothing went wrong
        }
        crashes.add("a kill or restart failed: " + e);
      } finally {
        busy = false;
      }
    }
  }

  private void restartStopped() throws Exception {
    for (Stage s : stages) {
      if (!s.isAlive()) {
        busy = true;
        crashes.add(s.name() + " stopped by itself and was restarted; see " + s.log());
        s.start();
        s.awaitReady();
      }
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** Stops the killer's thread: no more kills, no more restarts. */
  void stop() {
    running = false;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
