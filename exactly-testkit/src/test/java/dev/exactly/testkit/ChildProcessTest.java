package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class ChildProcessTest {

  /** Prints a counter every 20 ms; a SIGTERM runs its shutdown hook. */
  public static final class Ticker {
    public static void main(String[] args) throws InterruptedException {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("hook ran")));
      System.out.println("started " + String.join(",", args));
      for (long i = 0; ; i++) {
        System.out.println("tick " + i);
        Thread.sleep(20);
      }
    }
  }

  @Test
  void killIsSigkillAndSkipsShutdownHooks() throws Exception {
    try (ChildProcess child = ChildProcess.builder(Ticker.class).args("a", "b").start()) {
      child.awaitOutput("tick 3", Duration.ofSeconds(30));
      child.kill();
      assertThat(child.isAlive()).isFalse();
      assertThat(child.awaitExit(Duration.ofSeconds(1))).isEqualTo(137);
      assertThat(child.outputText()).contains("started a,b").doesNotContain("hook ran");
    }
  }

  @Test
  void terminateRunsShutdownHooks() throws Exception {
    try (ChildProcess child = ChildProcess.builder(Ticker.class).start()) {
      child.awaitOutput("tick 1", Duration.ofSeconds(30));
      child.terminate();
      assertThat(child.awaitExit(Duration.ofSeconds(30))).isEqualTo(143);
      assertThat(child.outputText()).contains("hook ran");
    }
  }

  @Test
  void pausedChildMakesNoProgressUntilResumed() throws Exception {
    try (ChildProcess child = ChildProcess.builder(Ticker.class).start()) {
      child.awaitOutput("tick 2", Duration.ofSeconds(30));
      child.pause();
      Thread.sleep(100); // let output already in flight land
      long frozen = Files.size(child.output());
      Thread.sleep(400);
      assertThat(Files.size(child.output())).isEqualTo(frozen);
      child.resume();
      child.awaitOutput("tick " + (lastTick(child) + 3), Duration.ofSeconds(30));
      assertThat(child.isAlive()).isTrue();
    }
  }

  @Test
  void childHaltsWhenItsParentGoesAway() throws Exception {
    // The grandchild watches its stdin, which its parent (the middle child) holds; killing the
    // parent with SIGKILL closes that pipe.
    Path pidFile = TestDirectories.newDirectory("orphan").resolve("grandchild.pid");
    try (ChildProcess parent =
        ChildProcess.builder(Spawner.class).args(pidFile.toString()).start()) {
      parent.awaitOutput("spawned", Duration.ofSeconds(30));
      long grandchild = Long.parseLong(Files.readString(pidFile).trim());
      assertThat(ProcessHandle.of(grandchild)).get().matches(ProcessHandle::isAlive);
      parent.kill();
      Topics.awaitUntil(
          Duration.ofSeconds(10),
          () -> ProcessHandle.of(grandchild).map(h -> !h.isAlive()).orElse(true),
          () -> "grandchild " + grandchild + " outlived its parent");
    }
  }

  @Test
  void awaitOutputNamesTheFileWhenTheTextNeverComes() {
    try (ChildProcess child = ChildProcess.builder(Ticker.class).start()) {
      assertThatThrownBy(() -> child.awaitOutput("never printed", Duration.ofMillis(300)))
          .isInstanceOf(TimeoutException.class)
          .hasMessageContaining(child.output().toString());
    }
  }

  /** Starts a Ticker grandchild, writes its pid, then idles. */
  public static final class Spawner {
    public static void main(String[] args) throws Exception {
      ChildProcess grandchild = ChildProcess.builder(Ticker.class).name("grandchild").start();
      Files.writeString(Path.of(args[0]), Long.toString(grandchild.pid()));
      System.out.println("spawned");
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  private static long lastTick(ChildProcess child) {
    String text = child.outputText();
    int at = text.lastIndexOf("tick ");
    return Long.parseLong(text.substring(at + 5, text.indexOf('\n', at)).trim());
  }
}
