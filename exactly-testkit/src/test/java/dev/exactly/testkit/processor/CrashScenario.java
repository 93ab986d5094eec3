package dev.exactly.testkit.processor;

import static org.awaitility.Awaitility.await;

import dev.exactly.FaultPoint;
import dev.exactly.processor.Guarantee;
import dev.exactly.testkit.ChildProcess;
import dev.exactly.testkit.GroupProtocol;
import dev.exactly.testkit.check.AbortedReadMonitor;
import dev.exactly.testkit.check.CheckReport;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.HangingTransactionCheck;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.InputGenerator;
import dev.exactly.testkit.check.TopicEffects;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One crash run: processor instances in child JVMs copy check inputs while they are halted at crash
 * points and SIGKILLed at random (plus any extra fault, such as a broker kill); then every instance
 * restarts cleanly, catches up and stops, and the checker reads what committed.
 */
final class CrashScenario {
  private static final Logger log = LoggerFactory.getLogger(CrashScenario.class);
  private static final List<String> PLAN =
      List.of(
          FaultPoint.PROCESSOR_AFTER_SENDS_BEFORE_COMMIT.name(),
          FaultPoint.PROCESSOR_DURING_COMMIT.name(),
          FaultPoint.PROCESSOR_AFTER_COMMIT.name());

  /** Crash points the restarted instances halt at, in turn. */
  List<String> plan = PLAN;

  /** Halt the moment a crash point is reached, rather than letting a commit get under way. */
  boolean haltAtOnce;

  String bootstrap;
  String name;
  BiConsumer<String, Integer> createTopic;
  Guarantee guarantee = Guarantee.EXACTLY_ONCE;
  int concurrency = 1;

  /** The group protocol every instance asks for in its Kafka properties. */
  GroupProtocol protocol = GroupProtocol.CLASSIC;

  int inputs = 50_000;
  int perSecond = 2000;
  int instances = 3;
  Duration faultPhase = Duration.ofSeconds(40);
  Duration randomKillEvery = Duration.ofSeconds(6);
  Duration extraFaultEvery;
  Runnable extraFault = () -> {};
  long seed = 42;

  record Result(
      CheckReport report,
      AbortedReadMonitor.Report aborted,
      List<String> hanging,
      int crashPointHalts,
      int randomKills,
      int extraFaults,
      Duration took) {
    String summary() {
      return report.summary()
          + aborted.summary()
          + "\nhanging "
          + hanging
          + "\ncrash-point halts "
          + crashPointHalts
          + ", random SIGKILLs "
          + randomKills
          + ", extra faults "
          + extraFaults
          + ", took "
          + took;
    }
  }

  private final Map<String, ChildProcess> children = new LinkedHashMap<>();
  private int starts;

  Result run() throws Exception {
    Instant begin = Instant.now();
    Random random = new Random(seed);
    String in = name + "-in";
    String out = name + "-out";
    String group = name + "-group";
    createTopic.accept(in, 6);
    createTopic.accept(out, 6);
    List<Input> all = InputGenerator.generate(inputs, 600, seed);
    int halts = 0;
    int kills = 0;
    int extras = 0;
    try (AbortedReadMonitor monitor = AbortedReadMonitor.start(bootstrap, out)) {
      Thread producer =
          new Thread(() -> InputGenerator.produce(bootstrap, in, all, 40, perSecond), "inputs");
      producer.start();
      for (int i = 0; i < instances; i++) {
        start(String.valueOf((char) ('a' + i)), in, out, group, random, true);
      }
      Instant faultEnd = Instant.now().plus(faultPhase);
      Instant nextKill = Instant.now().plus(randomKillEvery);
      Instant nextExtra =
          extraFaultEvery == null ? Instant.MAX : Instant.now().plus(extraFaultEvery);
      Instant giveUp = Instant.now().plus(faultPhase).plus(Duration.ofMinutes(3));
      while (Instant.now().isBefore(faultEnd) || producer.isAlive()) {
        boolean faults = Instant.now().isBefore(faultEnd);
        for (Map.Entry<String, ChildProcess> e : new ArrayList<>(children.entrySet())) {
          ChildProcess child = e.getValue();
          if (!child.isAlive()) {
            int code = child.awaitExit(Duration.ofSeconds(5));
            if (code == ProcessorChild.HALTED && child.outputText().contains("HALT at")) {
              halts++;
            } else if (code != ProcessorChild.HALTED) {
              throw new IllegalStateException(
                  e.getKey() + " exited with " + code + "; see " + child.output());
            }
            start(e.getKey(), in, out, group, random, faults);
          }
        }
        if (faults && Instant.now().isAfter(nextKill)) {
          List<ChildProcess> alive =
              children.values().stream().filter(ChildProcess::isAlive).toList();
          if (!alive.isEmpty()) {
            alive.get(random.nextInt(alive.size())).kill();
            kills++;
          }
          nextKill = Instant.now().plus(randomKillEvery);
        }
        if (faults && Instant.now().isAfter(nextExtra)) {
          extraFault.run();
          extras++;
          nextExtra = Instant.now().plus(extraFaultEvery);
        }
        if (Instant.now().isAfter(giveUp)) {
          throw new IllegalStateException("the fault phase did not end; inputs still producing");
        }
        Thread.sleep(200);
      }
      producer.join();
      // Faults stop: replace every instance (some still carry a crash plan) with a clean one.
      for (String instance : new ArrayList<>(children.keySet())) {
        children.get(instance).kill();
        start(instance, in, out, group, random, false);
      }
      for (ChildProcess child : children.values()) {
        child.awaitOutput(": assigned [", Duration.ofSeconds(90));
      }
      awaitCaughtUp(group, in, inputs, Duration.ofMinutes(3));
      for (ChildProcess child : children.values()) {
        child.terminate();
      }
      for (Map.Entry<String, ChildProcess> e : children.entrySet()) {
        int code = e.getValue().awaitExit(Duration.ofSeconds(60));
        // 143: the JVM ends with SIGTERM's code once the shutdown hook has closed the processor.
        if ((code != 0 && code != 143) || !e.getValue().outputText().contains("-> CLOSED")) {
          throw new IllegalStateException(
              e.getKey() + " did not stop cleanly (" + code + "); see " + e.getValue().output());
        }
      }
      List<String> hanging =
          HangingTransactionCheck.awaitStable(bootstrap, out, Duration.ofSeconds(60));
      AbortedReadMonitor.Report aborted = monitor.report();
      CheckReport report = new ExactlyOnceChecker(all).check(new TopicEffects(bootstrap, out));
      Result result =
          new Result(
              report,
              aborted,
              hanging,
              halts,
              kills,
              extras,
              Duration.between(begin, Instant.now()));
      log.info(
          "crash scenario {} ({}, {} protocol):\n{}", name, guarantee, protocol, result.summary());
      return result;
    } finally {
      children.values().forEach(ChildProcess::close);
    }
  }

  private void start(
      String instance, String in, String out, String group, Random random, boolean crash) {
    starts++;
    String point = crash ? plan.get(starts % plan.size()) : "none";
    children.put(
        instance,
        ChildProcess.builder(ProcessorChild.class)
            .name(name + "-" + instance + "-" + starts)
            .jvmArgs("-Xmx128m", "-XX:TieredStopAtLevel=1")
            .args(
                "bootstrap=" + bootstrap,
                "in=" + in,
                "out=" + out,
                "group=" + group,
                "instance=" + instance,
                "guarantee=" + guarantee.name(),
                "concurrency=" + concurrency,
                "crash=" + point,
                "crashAt=" + (1 + random.nextInt(10)),
                "haltAtOnce=" + haltAtOnce,
                "protocol=" + protocol.value(),
                "sessionMs=6000",
                // a and b come back at once under static membership; c's comings and goings
                // rebalance the group, so revocation and assignment are exercised too.
                "static=" + !instance.equals("c"))
            .start());
  }

  private void awaitCaughtUp(String group, String in, long total, Duration timeout) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      await()
          .alias("group " + group + " committed all " + total + " inputs of " + in)
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(500))
          .until(() -> committed(admin, group, in) >= total);
    }
  }

  private static long committed(Admin admin, String group, String in) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(30, TimeUnit.SECONDS);
    return offsets.entrySet().stream()
        .filter(e -> e.getKey().topic().equals(in) && e.getValue() != null)
        .mapToLong(e -> e.getValue().offset())
        .sum();
  }
}
