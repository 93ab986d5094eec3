package dev.exactly.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.FaultPoint;
import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The standalone server in a child JVM, halted before the commit, after the commit but before the
 * response, and SIGKILLed at random, while clients keep retrying their keys: afterwards every key
 * answered with a 2xx is in the topic exactly once (read_committed), and no key is there twice.
 */
abstract class AbstractIngestCrashTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final String RANDOM_KILL = "random-kill";
  private static final String[] POINTS = {
    FaultPoint.HTTP_BEFORE_COMMIT.name(),
    FaultPoint.HTTP_AFTER_COMMIT.name(),
    RANDOM_KILL,
    FaultPoint.HTTP_AFTER_COMMIT.name(),
    FaultPoint.HTTP_BEFORE_COMMIT.name(),
    RANDOM_KILL
  };
  private static final Pattern LISTENING = Pattern.compile("LISTENING (\\d+)");

  protected final String suffix =
      getClass().getSimpleName().toLowerCase() + "_" + ProcessHandle.current().pid();

  protected abstract String jdbcUrl();

  protected abstract void dropTables(String... tables) throws Exception;

  /** What one crash run saw: the keys answered 2xx and the records of each key in the topic. */
  protected record CrashRun(
      Set<String> accepted, Map<String, Integer> published, int replays, List<String> reached) {
    Map<String, Integer> duplicated() {
      Map<String, Integer> out = new HashMap<>(published);
      out.values().removeIf(n -> n == 1);
      return out;
    }
  }

  @Test
  void everyKeyAnswered2xxIsPublishedExactlyOnceAcrossServerCrashes() throws Exception {
    CrashRun run = crashRun("outbox");
    assertThat(run.duplicated()).as("keys published more than once").isEmpty();
    assertThat(run.published().keySet())
        .as("every key answered 2xx is published")
        .containsAll(run.accepted());
    // Clients retried each key until a 2xx, so a key published but never answered 2xx is a bug.
    assertThat(run.accepted()).containsAll(run.published().keySet());
  }

  /**
   * Runs the server (the ingest, or with {@code producer-then-key} the negative control) through
   * the crash rounds while clients retry, then reads the topic.
   */
  protected CrashRun crashRun(String design) throws Exception {
    String keyTable = "crash_keys_" + design.replace('-', '_') + "_" + suffix;
    String outboxTable = "crash_outbox_" + suffix;
    String topic = "crash-" + design + "-" + suffix;
    String bootstrap = KAFKA.broker().bootstrapServers();
    KAFKA.broker().createTopic(topic, 3);
    dropTables(keyTable, outboxTable);
    AtomicInteger port = new AtomicInteger(-1);
    AtomicBoolean stop = new AtomicBoolean();
    Set<String> accepted = ConcurrentHashMap.newKeySet();
    AtomicInteger replays = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(6);
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < 6; c++) {
      int client = c;
      running.add(
          clients.submit(
              () -> {
                for (int i = 0; !stop.get(); i++) {
                  String key = "c" + client + "-" + i;
                  String body = "{\"orderId\":\"" + key + "\",\"pad\":\"" + "x".repeat(200) + "\"}";
                  // The same key until a 2xx: a client that retries after every failure.
                  while (true) {
                    int p = port.get();
                    if (p > 0) {
                      try {
                        HttpResponse r = new Http(p).post("/orders", Http.quoted(key), body);
                        if (r.status() == 202) {
                          accepted.add(key);
                          if (r.replayed()) {
                            replays.incrementAndGet();
                          }
                          break;
                        }
                        assertThat(r.status()).as(r.bodyText()).isIn(409, 503);
                      } catch (IOException serverDown) {
                        failures.incrementAndGet();
                      }
                    }
                    Thread.sleep(20);
                  }
                }
                return null;
              }));
    }
    Random random = new Random(11);
    List<String> reached = new ArrayList<>();
    try {
      for (int round = 0; round < POINTS.length; round++) {
        String point = POINTS[round];
        boolean randomKill = point.equals(RANDOM_KILL);
        try (ChildProcess child =
            child(
                "ingest-" + round,
                design,
                keyTable,
                outboxTable,
                topic,
                randomKill ? "none" : point,
                10 + random.nextInt(40))) {
          port.set(awaitListening(child));
          if (randomKill) {
            Thread.sleep(800 + random.nextInt(1500));
            port.set(-1);
            child.kill();
            reached.add(RANDOM_KILL);
          } else {
            try {
              child.awaitExit(Duration.ofSeconds(60));
            } catch (TimeoutException notReached) {
              throw new AssertionError(
                  "ingest-" + round + " never reached " + point + ":\n" + child.outputText(),
                  notReached);
            }
            port.set(-1);
            assertThat(child.outputText()).contains("CRASH at " + point);
            reached.add(point);
          }
        }
      }
      try (ChildProcess last =
          child("ingest-final", design, keyTable, outboxTable, topic, "none", 1)) {
        port.set(awaitListening(last));
        Thread.sleep(1500);
        stop.set(true);
        for (Future<?> f : running) {
          f.get();
        }
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(() -> publishedKeys(bootstrap, topic).keySet().containsAll(accepted));
        Thread.sleep(1000); // room for a wrong extra record to appear
      }
    } finally {
      stop.set(true);
      clients.shutdownNow();
    }
    Map<String, Integer> published = publishedKeys(bootstrap, topic);
    System.out.printf(
        "%d keys accepted, %d records, %d replays after crashes, %d failed sends; crashes %s%n",
        accepted.size(),
        published.values().stream().mapToInt(Integer::intValue).sum(),
        replays.get(),
        failures.get(),
        reached);
    assertThat(reached)
        .contains(
            FaultPoint.HTTP_BEFORE_COMMIT.name(), FaultPoint.HTTP_AFTER_COMMIT.name(), RANDOM_KILL);
    assertThat(accepted).hasSizeGreaterThan(100);
    assertThat(replays.get()).as("retries answered from the stored response").isPositive();
    dropTables(keyTable, outboxTable);
    return new CrashRun(accepted, published, replays.get(), reached);
  }

  private static Map<String, Integer> publishedKeys(String bootstrap, String topic) {
    Map<String, Integer> out = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(bootstrap, topic)) {
      out.merge(new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum);
    }
    return out;
  }

  private ChildProcess child(
      String name,
      String design,
      String keyTable,
      String outboxTable,
      String topic,
      String point,
      int after) {
    return ChildProcess.builder(IngestChildMain.class)
        .name(name)
        .jvmArgs("-Xmx256m", "-XX:TieredStopAtLevel=1")
        .args(
            jdbcUrl(),
            keyTable,
            outboxTable,
            KAFKA.broker().bootstrapServers(),
            "positions-" + suffix,
            topic,
            point,
            Integer.toString(after),
            design)
        .start();
  }

  private static int awaitListening(ChildProcess child) throws TimeoutException {
    child.awaitOutput("LISTENING", Duration.ofSeconds(60));
    Matcher m = LISTENING.matcher(child.outputText());
    if (!m.find()) {
      throw new AssertionError("no port in " + child.outputText());
    }
    return Integer.parseInt(m.group(1));
  }
}
