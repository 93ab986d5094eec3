package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.FaultPoint;
import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.CheckReport;
import dev.exactly.testkit.check.Effect;
import dev.exactly.testkit.check.EffectSource;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Relays in child JVMs halted at each named crash point and SIGKILLed at random times, on
 * PostgreSQL, while concurrent writers commit and roll back: every committed row appears exactly
 * once (read_committed), none rolled back appears, each key keeps its order. Rows: {@code
 * -Dexactly.outbox.crash.rows} (default 6,000; 50,000 for the full run).
 */
class OutboxRelayCrashTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final int ROWS = Integer.getInteger("exactly.outbox.crash.rows", 6_000);
  private static final String RANDOM_KILL = "random-kill";
  private static final String[] POINTS = {
    FaultPoint.RELAY_MID_BATCH.name(),
    RANDOM_KILL,
    FaultPoint.RELAY_BEFORE_COMMIT.name(),
    FaultPoint.RELAY_AFTER_COMMIT.name(),
    RANDOM_KILL,
    FaultPoint.RELAY_MID_CLEANUP.name()
  };

  private HikariDataSource dataSource;
  private String table;

  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  @BeforeEach
  void setUp() {
    table = "outbox_crash_" + ProcessHandle.current().pid();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(ExternalService.POSTGRESQL.url());
    config.setMaximumPoolSize(6);
    dataSource = new HikariDataSource(config);
  }

  @AfterEach
  void tearDown() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
    }
    dataSource.close();
  }

  @Test
  void everyCommittedRowIsPublishedExactlyOnceAcrossRelayCrashes() throws Exception {
    String topic = "crash-" + table;
    String bootstrap = KAFKA.broker().bootstrapServers();
    KAFKA.broker().createTopic(topic, 4);
    Outbox outbox = Outbox.builder().table(table).build();
    try (Connection c = dataSource.getConnection()) {
      outbox.createTableIfAbsent(c);
    }
    OutboxWriters writers = new OutboxWriters();
    Random random = new Random(7);
    int crashes = 0;
    List<String> reached = new ArrayList<>();
    int rowsPerRound = ROWS / POINTS.length;
    for (int round = 0; round < POINTS.length; round++) {
      String point = POINTS[round % POINTS.length];
      boolean randomKill = point.equals(RANDOM_KILL);
      try (ChildProcess relay =
          relayChild(
              "relay-" + round,
              bootstrap,
              topic,
              randomKill ? "none" : point,
              1 + random.nextInt(4))) {
        awaitStarted(relay);
        // Each round writes its own rows while its relay runs, so every named point has batches
        // and published rows to reach, however fast or slow the machine is.
        CompletableFuture<Void> writing = write(writers, outbox, topic, rowsPerRound);
        if (randomKill) {
          Thread.sleep(300 + random.nextInt(1500));
          relay.kill();
          reached.add(RANDOM_KILL);
        } else {
          try {
            relay.awaitExit(Duration.ofSeconds(120));
          } catch (TimeoutException notReached) {
            throw new AssertionError(
                "relay-"
                    + round
                    + " never reached "
                    + point
                    + "; its output:\n"
                    + relay.outputText(),
                notReached);
          }
          assertThat(relay.outputText()).contains("CRASH at " + point);
          reached.add(point);
        }
        crashes++;
        writing.get();
      }
    }
    try (ChildProcess relay = relayChild("relay-final", bootstrap, topic, "none", 1)) {
      awaitStarted(relay);
      await()
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> TopicReader.readCommitted(bootstrap, topic).size() >= writers.committed.size());
      Thread.sleep(1000); // room for a wrong extra record to appear
    }
    assertThat(reached)
        .contains(
            FaultPoint.RELAY_MID_BATCH.name(),
            FaultPoint.RELAY_BEFORE_COMMIT.name(),
            FaultPoint.RELAY_AFTER_COMMIT.name(),
            FaultPoint.RELAY_MID_CLEANUP.name(),
            RANDOM_KILL);
    assertThat(writers.rolledBack).isNotEmpty();
    ExactlyOnceChecker checker = new ExactlyOnceChecker(writers.committed);
    OutboxTopicEffects topicEffects = new OutboxTopicEffects(bootstrap, topic);
    List<Effect> effects = topicEffects.read();
    CheckReport report = checker.check(fixed("topic " + topic, effects));
    System.out.println(crashes + " relay crashes; " + report.summary());
    report.assertExactlyOnce();
    for (Long id : writers.rolledBack) {
      assertThat(effects).noneMatch(e -> e.inputId().equals(Long.toString(id)));
    }

    // Negative controls: the same check fails on a duplicate, a loss, and a reordering.
    List<Effect> duplicated = new ArrayList<>(effects);
    duplicated.add(effects.get(effects.size() / 2));
    assertThat(checker.check(fixed("dup", duplicated)).duplicated()).hasSize(1);
    List<Effect> lost = new ArrayList<>(effects);
    lost.remove(effects.size() / 3);
    assertThat(checker.check(fixed("lost", lost)).lost()).hasSize(1);
    List<Input> withRolledBack = new ArrayList<>(writers.committed);
    withRolledBack.add(new Input(Long.toString(writers.rolledBack.get(0)), "x", 0));
    assertThat(new ExactlyOnceChecker(withRolledBack).check(fixed("rb", effects)).isExactlyOnce())
        .isFalse();
    Input a = writers.committed.get(0);
    Input b =
        writers.committed.stream()
            .filter(i -> i.key().equals(a.key()) && i.sequence() == a.sequence() + 1)
            .findFirst()
            .orElseThrow();
    List<Effect> swapped = new ArrayList<>();
    for (Effect e : effects) {
      if (e.inputId().equals(a.id())) {
        swapped.add(new Effect(b.id(), "", e.where()));
      } else if (e.inputId().equals(b.id())) {
        swapped.add(new Effect(a.id(), "", e.where()));
      } else {
        swapped.add(e);
      }
    }
    assertThat(checker.check(fixed("swapped", swapped)).orderViolations()).isNotEmpty();
  }

  private CompletableFuture<Void> write(
      OutboxWriters writers, Outbox outbox, String topic, int rows) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            writers.run(dataSource, outbox, topic, 4, rows, 5);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private ChildProcess relayChild(
      String name, String bootstrap, String topic, String crashPoint, int crashAfter) {
    return ChildProcess.builder(RelayChildMain.class)
        .name(name)
        .jvmArgs("-Xmx192m", "-XX:TieredStopAtLevel=1")
        .args(
            ExternalService.POSTGRESQL.url(),
            table,
            bootstrap,
            "positions-" + table,
            crashPoint,
            Integer.toString(crashAfter))
        .start();
  }

  private static void awaitStarted(ChildProcess relay) throws TimeoutException {
    try {
      relay.awaitOutput("RELAY STARTED", Duration.ofSeconds(60));
    } catch (IllegalStateException exitedEarly) {
      assertThat(relay.outputText()).contains("CRASH at");
    }
  }

  private static EffectSource fixed(String name, List<Effect> effects) {
    return new EffectSource() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<Effect> read() {
        return effects;
      }

      @Override
      public boolean keepsOrder() {
        return true;
      }
    };
  }
}
