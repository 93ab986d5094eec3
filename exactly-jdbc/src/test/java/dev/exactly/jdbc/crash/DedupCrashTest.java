package dev.exactly.jdbc.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.CountingHttpServer;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.GroupProtocol;
import dev.exactly.testkit.TopicWriter;
import dev.exactly.testkit.check.CheckReport;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.HttpEffects;
import dev.exactly.testkit.check.Input;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SIGKILLs idempotent consumers in child JVMs at the named crash points, against a real loopback
 * HTTP service that counts effects, with a PostgreSQL dedup store that outlives the children.
 */
class DedupCrashTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  static {
    // The JDK's HTTP server (CountingHttpServer) writes a response's headers and body separately;
    // with Nagle's algorithm on, the body waits for the client's delayed ACK, about 45 ms a request
    // on Linux loopback (JDK-6968351). That wait was most of this class's run time and tests
    // nothing. The setting is read once, when the JDK's server first starts in this JVM; set here
    // rather than in the testkit so other modules' tests keep the pace they were written for.
    System.getProperties().putIfAbsent("sun.net.httpserver.nodelay", "true");
  }

  private static final int RECORDS = 300;
  private static final Duration LEASE = Duration.ofSeconds(3);
  private static final AtomicInteger RUNS = new AtomicInteger();

  @BeforeAll
  static void database() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  private final String run = "r" + ProcessHandle.current().pid() + "x" + RUNS.incrementAndGet();
  private final String topic = "crash-in-" + run;
  private final String group = "crash-g-" + run;
  private final String table = "dedup_crash_" + run;

  /** Inputs of the test; {@link #RECORDS} unless a test needs more work to kill into. */
  private int inputCount = RECORDS;

  /**
   * Kafka keys the inputs share, round robin, each key's inputs in sequence; 0 gives every input
   * its own key. With shared keys the children dedup by the value, the input's id.
   */
  private int keyCount = 0;

  private List<Input> produceInputs() {
    KAFKA.broker().createTopic(topic, 3);
    List<Input> inputs = new ArrayList<>();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (int i = 0; i < inputCount; i++) {
        String id = "in-" + i;
        String key = keyCount == 0 ? id : "k" + (i % keyCount);
        inputs.add(new Input(id, key, keyCount == 0 ? 0 : i / keyCount));
        records.add(new ProducerRecord<>(topic, key, id));
      }
      TopicWriter.sendAll(producer, records);
    }
    return inputs;
  }

  /** The group protocol the children ask for; classic unless a test chooses. */
  private GroupProtocol protocol = GroupProtocol.CLASSIC;

  /** The children's handler concurrency, poll size and handler delay; serial by default. */
  private int concurrency = 1;

  private int maxPollRecords = 20;
  private long delayMillis = 0;

  private ChildProcess child(CountingHttpServer server, boolean relay, String point, int at) {
    return child(server, relay, point, at, LEASE);
  }

  /** A child on {@code lease}; {@link Duration#ZERO} for the consumer's default. */
  private ChildProcess child(
      CountingHttpServer server, boolean relay, String point, int at, Duration lease) {
    return child(server, relay, point, at, lease, "crash-child");
  }

  private ChildProcess child(
      CountingHttpServer server,
      boolean relay,
      String point,
      int at,
      Duration lease,
      String instanceId) {
    return ChildProcess.builder(DedupCrashChild.class)
        .name("dedup-child-" + instanceId + "-" + point + "-" + at)
        .jvmArgs("-Xmx160m", "-XX:TieredStopAtLevel=1")
        .args(
            KAFKA.broker().bootstrapServers(),
            topic,
            group,
            server.effectsUri().toString(),
            ExternalService.POSTGRESQL.url(),
            table,
            Boolean.toString(relay),
            point,
            Integer.toString(at),
            Long.toString(lease.toMillis()),
            protocol.value(),
            Integer.toString(concurrency),
            Integer.toString(maxPollRecords),
            Long.toString(delayMillis),
            instanceId,
            keyCount == 0 ? "key" : "value")
        .start();
  }

  /** Runs a child until it reaches its crash point, then SIGKILLs it there. */
  private String crashAt(CountingHttpServer server, boolean relay, String point, int at)
      throws TimeoutException {
    return crashAt(server, relay, point, at, "crash-child");
  }

  private String crashAt(
      CountingHttpServer server, boolean relay, String point, int at, String instanceId)
      throws TimeoutException {
    try (ChildProcess c = child(server, relay, point, at, LEASE, instanceId)) {
      c.awaitOutput(DedupCrashChild.MARKER, Duration.ofSeconds(120));
      c.kill();
      String out = c.outputText();
      return out.substring(out.indexOf(DedupCrashChild.MARKER)).lines().findFirst().orElseThrow();
    }
  }

  /** Runs a child to a random moment of its work and SIGKILLs it there, with inputs left. */
  private void killAtRandom(CountingHttpServer server, boolean relay, long seed)
      throws TimeoutException {
    killAtRandom(server, relay, seed, "crash-child");
  }

  private void killAtRandom(CountingHttpServer server, boolean relay, long seed, String instanceId)
      throws TimeoutException {
    try (ChildProcess c = child(server, relay, "none", 0, LEASE, instanceId)) {
      c.awaitOutput(DedupCrashChild.STARTED, Duration.ofSeconds(60));
      // The moment is counted in requests, not in time: effects come a few ms apart, so a random
      // time could fall after the work, or while the only partition left waits out a lease.
      int target = server.requests() + 1 + new Random(seed).nextInt(40);
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(1))
          .until(() -> server.requests() >= target);
      c.kill();
      assertThat(server.effectCounts().size())
          .as("the random kill hit a consumer with inputs left")
          .isLessThan(inputCount);
    }
  }

  /** Runs a child with no crash until every input has taken effect. */
  private void finish(CountingHttpServer server, boolean relay) {
    try (ChildProcess c = child(server, relay, "none", 0)) {
      await()
          .atMost(Duration.ofSeconds(180))
          .failFast("the child died; see " + c.output(), () -> !c.isAlive())
          .pollInterval(Duration.ofMillis(200))
          .until(() -> server.effectCounts().size() == inputCount);
    }
  }

  /**
   * Under both group protocols. The children are one static member ({@code group.instance.id}):
   * under the consumer protocol each restarted child finds the id still held by the killed one
   * until the broker ends that member's session.
   */
  @ParameterizedTest
  @EnumSource(GroupProtocol.class)
  void withTheKeyRelayedEveryEffectHappensExactlyOnceAcrossCrashes(GroupProtocol protocol)
      throws Exception {
    this.protocol = protocol;
    List<Input> inputs = produceInputs();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.HONOUR_KEY)) {
      crashAt(server, true, "after-effect", 30);
      crashAt(server, true, "after-complete", 2);
      crashAt(server, true, "after-effect", 11);
      killAtRandom(server, true, 42);
      finish(server, true);
      CheckReport report = new ExactlyOnceChecker(inputs).check(new HttpEffects(server));
      report.assertExactlyOnce();
      // The crashes after the effect really sent repeats; the downstream absorbed them.
      assertThat(server.replays())
          .as("repeated requests answered from the first response")
          .isPositive();
    }
  }

  @Test
  void withoutTheKeyACrashAfterTheEffectAndBeforeCompleteRepeatsThatEffect() throws Exception {
    List<Input> inputs = produceInputs();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY)) {
      String marker = crashAt(server, false, "after-effect", 30);
      String crashedId = marker.substring(marker.indexOf("id=") + 3).trim();
      finish(server, false);
      CheckReport report = new ExactlyOnceChecker(inputs).check(new HttpEffects(server));
      // The one window the store cannot close: the effect ran, its completion was never stored.
      assertThat(report.isExactlyOnce()).as(report.summary()).isFalse();
      assertThat(report.lost()).isEmpty();
      assertThat(report.duplicated()).containsKey(crashedId);
      // Only records whose effect ran in the killed batch can repeat: at most one poll batch.
      assertThat(report.duplicated().size()).isBetween(1, 20);
    }
  }

  /**
   * Concurrency 8, two instances, each SIGKILLed once at a random moment while the other works on:
   * with the key relayed every effect happens exactly once, and each key's effects keep their input
   * order (one effect per key here, so the checker's count is the proof).
   */
  @Test
  void withConcurrencyAndTwoInstancesRandomKillsKeepEveryEffectExactlyOnce() throws Exception {
    concurrency = 8;
    maxPollRecords = 100;
    // Enough work (about 6 s for two instances) that both kills land with inputs left.
    inputCount = 2000;
    delayMillis = 50;
    List<Input> inputs = produceInputs();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.HONOUR_KEY);
        ChildProcess b = child(server, true, "none", 0, LEASE, "crash-b")) {
      killAtRandom(server, true, 7, "crash-a");
      killAtRandom(server, true, 11, "crash-a");
      await()
          .atMost(Duration.ofSeconds(180))
          .failFast("the child died; see " + b.output(), () -> !b.isAlive())
          .pollInterval(Duration.ofMillis(200))
          .until(() -> server.effectCounts().size() == inputCount);
      new ExactlyOnceChecker(inputs).check(new HttpEffects(server)).assertExactlyOnce();
    }
  }

  /**
   * Concurrency 8 and 32 with a downstream that ignores the key and a 20 ms effect: a SIGKILL
   * repeats only the effects in flight (at most the concurrency running) or awaiting the
   * completer's next flush (a few ms, so at most about one more each), never a poll batch (5 ×
   * concurrency).
   */
  @ParameterizedTest
  @ValueSource(ints = {8, 32})
  void withConcurrencyAKillRepeatsAtMostTheEffectsInFlight(int concurrency) throws Exception {
    this.concurrency = concurrency;
    maxPollRecords = 5 * concurrency;
    // Enough work that the kill lands with inputs left at either concurrency.
    inputCount = 10 * maxPollRecords;
    delayMillis = 20;
    List<Input> inputs = produceInputs();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY)) {
      killAtRandom(server, false, 42, "crash-child");
      int before = server.effects().size();
      finish(server, false);
      CheckReport report = new ExactlyOnceChecker(inputs).check(new HttpEffects(server));
      assertThat(report.lost()).isEmpty();
      System.out.println(
          "CONCURRENT-KILL concurrency "
              + concurrency
              + ", effects before the kill "
              + before
              + ", repeated "
              + report.duplicated().size());
      assertThat(report.duplicated().size())
          .as("repeats after one kill: at most the handlers in flight and their pending flush")
          .isLessThanOrEqualTo(2 * concurrency)
          .isLessThan(maxPollRecords);
    }
  }

  /**
   * Concurrency 8 against a downstream that ignores the key: one record's handler hangs before its
   * effect. The child keeps polling past it (15 polls of 20): every other input takes effect, and
   * the hung record's partition commits up to it and never past. SIGKILLed, the child's successor
   * polls the partition from the hung record and runs it once; the records after it are found done.
   */
  @Test
  void withConcurrencyAHungHandlerHoldsOnlyItsRecordWhichRunsOnceAfterTheKill() throws Exception {
    concurrency = 8;
    List<Input> inputs = produceInputs();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY);
        Admin admin =
            Admin.create(
                Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    KAFKA.broker().bootstrapServers()))) {
      try (ChildProcess hung = child(server, false, "hang", 5)) {
        hung.awaitOutput(DedupCrashChild.MARKER + "hang", Duration.ofSeconds(120));
        await()
            .atMost(Duration.ofSeconds(120))
            .failFast("the child died; see " + hung.output(), () -> !hung.isAlive())
            .pollInterval(Duration.ofMillis(100))
            .until(() -> server.effectCounts().size() == inputCount - 1);
        String out = hung.outputText();
        Matcher at =
            Pattern.compile("hang id=in-5 partition=(\\d+) offset=(\\d+)")
                .matcher(out.substring(out.indexOf(DedupCrashChild.MARKER)));
        assertThat(at.find()).as(out).isTrue();
        TopicPartition tp = new TopicPartition(topic, Integer.parseInt(at.group(1)));
        long offset = Long.parseLong(at.group(2));
        await().atMost(Duration.ofSeconds(30)).until(() -> committed(admin, tp) == offset);
        long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < until) {
          assertThat(committed(admin, tp)).as("committed past the hung record").isEqualTo(offset);
          Thread.sleep(100);
        }
        assertThat(server.effectCounts()).doesNotContainKey("in-5");
        assertThat(hung.isAlive()).isTrue();
        hung.kill();
      }
      finish(server, false);
      assertThat(server.effectCounts()).containsEntry("in-5", 1);
      new ExactlyOnceChecker(inputs).check(new HttpEffects(server)).assertExactlyOnce();
    }
  }

  /**
   * Concurrency 32, two instances sharing 60 Kafka keys of 100 inputs each: one instance is
   * SIGKILLed at a named point, a third joins and leaves (two rebalances), the first's successor is
   * SIGKILLed at a random moment. With the key relayed every input takes effect once, and each
   * key's effects reach the service in input order.
   */
  @Test
  void atConcurrency32TwoInstancesKillsAndRebalancesKeepEachKeyOnceAndInOrder() throws Exception {
    concurrency = 32;
    maxPollRecords = 200;
    keyCount = 60;
    inputCount = 6000;
    delayMillis = 40;
    List<Input> inputs = produceInputs();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.HONOUR_KEY);
        ChildProcess b = child(server, true, "none", 0, LEASE, "crash-b")) {
      crashAt(server, true, "after-effect", 200, "crash-a");
      try (ChildProcess c = child(server, true, "none", 0, LEASE, "crash-c")) {
        c.awaitOutput(DedupCrashChild.STARTED, Duration.ofSeconds(60));
        int target = server.requests() + 300;
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(5))
            .until(() -> server.requests() >= target);
        c.terminate(); // leaves the group: a rebalance while both others run
        c.awaitExit(Duration.ofSeconds(30));
      }
      killAtRandom(server, true, 32, "crash-a");
      await()
          .atMost(Duration.ofSeconds(180))
          .failFast("the child died; see " + b.output(), () -> !b.isAlive())
          .pollInterval(Duration.ofMillis(200))
          .until(() -> server.effectCounts().size() == inputCount);
      CheckReport report = new ExactlyOnceChecker(inputs).check(HttpEffects.inArrivalOrder(server));
      System.out.println("CONC32 " + report.summary().replace('\n', ' '));
      report.assertExactlyOnce();
      // The named kill left an effect done and its key not: its successor's repeat was absorbed.
      assertThat(server.replays()).as("repeats answered from the first response").isPositive();
    }
  }

  private long committed(Admin admin, TopicPartition tp) throws Exception {
    OffsetAndMetadata o =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS)
            .get(tp);
    return o == null ? -1 : o.offset();
  }

  @Test
  void withoutTheKeyACrashAfterCompleteAndBeforeTheCommitRepeatsNothing() throws Exception {
    List<Input> inputs = produceInputs();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY)) {
      crashAt(server, false, "after-complete", 2);
      crashAt(server, false, "after-complete", 3);
      finish(server, false);
      new ExactlyOnceChecker(inputs).check(new HttpEffects(server)).assertExactlyOnce();
    }
  }

  /**
   * A killed instance's claims free up about one default lease (10 s) after its last renewal: the
   * restarted instance logs how long it waits on the dead one's lease, then runs the key again. The
   * dead child is frozen for longer than a lease before the kill, holding its claims by renewal
   * alone.
   */
  @Test
  void aKilledInstancesKeysAreResumedWithinTheDefaultLease() throws Exception {
    Duration defaultLease = Duration.ofSeconds(10);
    List<Input> inputs = produceInputs();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY)) {
      String crashedId;
      long killedAt;
      try (ChildProcess dead = child(server, false, "after-effect", 30, Duration.ZERO)) {
        dead.awaitOutput(DedupCrashChild.MARKER, Duration.ofSeconds(120));
        String out = dead.outputText();
        String marker =
            out.substring(out.indexOf(DedupCrashChild.MARKER)).lines().findFirst().get();
        crashedId = marker.substring(marker.indexOf("id=") + 3).trim();
        Thread.sleep(defaultLease.plusSeconds(2).toMillis());
        assertThat(dead.outputText()).as("renewals while frozen").doesNotContain("lost the claim");
        dead.kill();
        killedAt = System.nanoTime();
      }
      try (ChildProcess next = child(server, false, "none", 0, Duration.ZERO)) {
        await()
            .atMost(Duration.ofSeconds(120))
            .failFast("the child died; see " + next.output(), () -> !next.isAlive())
            .pollInterval(Duration.ofMillis(20))
            .until(() -> server.effectCounts().getOrDefault(crashedId, 0) >= 2);
        Duration resumed = Duration.ofNanos(System.nanoTime() - killedAt);
        System.out.println("LEASE-RESUME " + crashedId + " resumed " + resumed.toMillis() + " ms");
        assertThat(resumed)
            .as("the dead instance's key resumed within the lease and a start-up margin")
            .isLessThan(defaultLease.plusSeconds(12));
        java.util.regex.Matcher pause =
            java.util.regex.Pattern.compile("pauses for (\\d+) ms: key [^ ]+ is held by another")
                .matcher(next.outputText());
        // The line names the first key of the partition the dead instance held, not always ours.
        assertThat(pause.find()).as("the INFO line on the wait, in " + next.output()).isTrue();
        System.out.println("LEASE-RESUME waited " + pause.group(1) + " ms on the dead lease");
        assertThat(Long.parseLong(pause.group(1)))
            .as("the wait it announces")
            .isPositive()
            .isLessThanOrEqualTo(defaultLease.toMillis());
        await()
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> server.effectCounts().size() == inputCount);
      }
      CheckReport report = new ExactlyOnceChecker(inputs).check(new HttpEffects(server));
      assertThat(report.lost()).isEmpty();
      assertThat(report.duplicated().keySet()).as(report.summary()).contains(crashedId);
    }
  }
}
