package dev.exactly.examples.fraudcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.TestDirectories;
import dev.exactly.testkit.check.CheckReport;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The fraud-check application, as its main class in a child JVM, SIGKILLed at random 3 or 4 times
 * while payments flow and started again on the same database: every payment is scored once in
 * {@code payment-scores} (read_committed), every card block reaches the card-block API once, and
 * every notification is published once. On H2 (a file, so restarts keep state) and PostgreSQL
 * (skipped when it is not running, unless EXACTLY_REQUIRE_SERVICES=true).
 */
class FraudCheckCrashTest {
  @Test
  void eachPaymentScoredBlockedAndNotifiedOnceAcrossKillsOnH2() throws Exception {
    String url =
        "jdbc:h2:file:"
            + TestDirectories.newDirectory("fraud-h2").resolve("fraud").toAbsolutePath()
            + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    killAndRestartWhilePaymentsFlow(url);
  }

  @Test
  void eachPaymentScoredBlockedAndNotifiedOnceAcrossKillsOnPostgreSql() throws Exception {
    ExternalService.POSTGRESQL.assumeAvailable();
    String schema = "fraud_" + Long.toHexString(System.nanoTime());
    try (Connection c = DriverManager.getConnection(ExternalService.POSTGRESQL.url());
        Statement s = c.createStatement()) {
      s.execute("create schema " + schema);
    }
    killAndRestartWhilePaymentsFlow(ExternalService.POSTGRESQL.url() + "&currentSchema=" + schema);
  }

  private void killAndRestartWhilePaymentsFlow(String jdbcUrl) throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Payments payments = Payments.generate(3000, 200, seed);
    try (FraudCheckRun run = new FraudCheckRun(jdbcUrl)) {
      run.start();
      CompletableFuture<Void> flowing =
          CompletableFuture.runAsync(() -> payments.produce(run.bootstrap(), "payments", 120));
      int kills = 3 + random.nextInt(2);
      for (int i = 0; i < kills; i++) {
        Thread.sleep(1500 + random.nextInt(3000));
        run.app().kill();
        run.start();
      }
      flowing.get();
      run.awaitDone(payments, Duration.ofSeconds(90));
      run.app().terminate();
      run.app().awaitExit(Duration.ofSeconds(30));
      assertExactlyOnce(run, payments, "seed " + seed + ", " + kills + " kills");
    }
  }

  /**
   * SIGTERM while card blocks are in flight: the application is gone within the shutdown phase, and
   * after a restart nothing is lost or done twice.
   */
  @Test
  void sigtermClosesWithinTheShutdownPhaseAndLosesNothing() throws Exception {
    String url =
        "jdbc:h2:file:"
            + TestDirectories.newDirectory("fraud-term").resolve("fraud").toAbsolutePath()
            + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    Payments payments = Payments.generate(2000, 100, 11);
    try (FraudCheckRun run = new FraudCheckRun(url)) {
      ChildProcess app = run.start();
      payments.produce(run.bootstrap(), "payments", 0);
      // Blocks are being made: the consumer is in the middle of the stream.
      await().atMost(Duration.ofSeconds(60)).until(() -> run.blocks() > 0);
      Instant term = Instant.now();
      app.terminate();
      app.awaitExit(FraudCheckRun.SHUTDOWN_PHASE.plusSeconds(10));
      Duration closing = Duration.between(term, Instant.now());
      assertThat(closing).isLessThan(FraudCheckRun.SHUTDOWN_PHASE.plusSeconds(5));
      assertThat(app.outputText())
          .as("every component closed in time; see %s", run.output())
          .doesNotContain("did not stop within");

      run.start();
      run.awaitDone(payments, Duration.ofSeconds(90));
      run.app().terminate();
      run.app().awaitExit(Duration.ofSeconds(30));
      assertExactlyOnce(run, payments, "after SIGTERM and a restart");
    }
  }

  private static void assertExactlyOnce(FraudCheckRun run, Payments payments, String what) {
    for (CheckReport report : run.check(payments)) {
      assertThat(report.isExactlyOnce())
          .as("%s (%s; application log %s)", report.summary(), what, run.output())
          .isTrue();
    }
  }
}
