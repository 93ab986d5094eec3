package dev.exactly.examples.fraudcheck;

import static org.awaitility.Awaitility.await;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.CountingHttpServer;
import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.TestDirectories;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.CheckReport;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.HttpEffects;
import dev.exactly.testkit.check.RecordEffects;
import dev.exactly.testkit.check.RecordId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * One fraud-check application under test: the real main class in a child JVM on the test's class
 * path, against the test's broker, database and counting card-block server, started again after
 * each kill with the same instance id and database.
 */
final class FraudCheckRun implements AutoCloseable {
  static final int THRESHOLD = 80;
  static final Duration SHUTDOWN_PHASE = Duration.ofSeconds(10);

  private final EmbeddedKafka broker;
  private final String jdbcUrl;
  private final CountingHttpServer cards =
      CountingHttpServer.start(CountingHttpServer.Mode.HONOUR_KEY);
  private final Path output = TestDirectories.newDirectory("fraud-check").resolve("app.log");
  private final List<ChildProcess> started = new ArrayList<>();
  private ChildProcess app;

  /** Starts a broker of its own, so that every run begins with empty topics and groups. */
  FraudCheckRun(String jdbcUrl) {
    this.broker = EmbeddedKafka.start();
    this.jdbcUrl = jdbcUrl;
    for (String topic : List.of("payments", "payment-scores", "notifications")) {
      broker.createTopic(topic, 3);
    }
  }

  /** Starts the application and waits until Boot reports it started (every component running). */
  ChildProcess start() throws TimeoutException {
    app =
        ChildProcess.builder(FraudCheckApplication.class)
            .name("fraud-check-" + started.size())
            .output(output)
            .jvmArgs("-Xmx256m", "-XX:TieredStopAtLevel=1")
            .args(
                "--spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                "--spring.datasource.url=" + jdbcUrl,
                "--spring.main.banner-mode=off",
                "--logging.level.org.apache.kafka=WARN",
                "--spring.lifecycle.timeout-per-shutdown-phase=" + SHUTDOWN_PHASE.toSeconds() + "s",
                "--exactly.instance-id=fraud-check-1",
                // A claim held by a killed instance blocks its key only this long.
                "--exactly.consumers.card-blocks.lease=3s",
                "--fraud.block-threshold=" + THRESHOLD,
                "--fraud.card-block-url=" + cards.effectsUri())
            .start();
    started.add(app);
    app.awaitOutput("Started FraudCheckApplication", Duration.ofSeconds(90));
    return app;
  }

  ChildProcess app() {
    return app;
  }

  Path output() {
    return output;
  }

  /** Card blocks the card-block API has counted so far. */
  int blocks() {
    return cards.effects().size();
  }

  String bootstrap() {
    return broker.bootstrapServers();
  }

  /** Waits until every expected notification is published (the last effect of the pipeline). */
  void awaitDone(Payments payments, Duration timeout) {
    int expected = payments.blocked(THRESHOLD).size();
    await()
        .atMost(timeout)
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () ->
                TopicReader.readCommitted(broker.bootstrapServers(), "notifications").size()
                        >= expected
                    && cards.effects().size() >= expected
                    && TopicReader.readCommitted(broker.bootstrapServers(), "payment-scores").size()
                        >= payments.all.size());
  }

  /** Checks the three effects: scores, card blocks at the API, notifications. */
  List<CheckReport> check(Payments payments) {
    ExactlyOnceChecker scored = new ExactlyOnceChecker(payments.scored());
    ExactlyOnceChecker blocked = new ExactlyOnceChecker(payments.blocked(THRESHOLD));
    String bootstrap = broker.bootstrapServers();
    return List.of(
        scored.check(
            new RecordEffects(
                "payment-scores",
                TopicReader.readCommitted(bootstrap, "payment-scores"),
                RecordId.parse("header:Idempotency-Key"),
                true)),
        blocked.check(new HttpEffects(cards)),
        blocked.check(
            new RecordEffects(
                "notifications",
                TopicReader.readCommitted(bootstrap, "notifications"),
                RecordId.parse("header:payment-id"),
                true)));
  }

  @Override
  public void close() {
    started.forEach(ChildProcess::close);
    cards.close();
    broker.close();
  }
}
