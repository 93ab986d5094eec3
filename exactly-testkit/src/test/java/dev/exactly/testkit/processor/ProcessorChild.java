package dev.exactly.testkit.processor;

import dev.exactly.ComponentState;
import dev.exactly.FaultInjection;
import dev.exactly.FaultPoint;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.Guarantee;
import dev.exactly.testkit.GroupProtocol;
import dev.exactly.testkit.check.RecordCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A processor instance in a child JVM for crash tests: copies check inputs to check outputs whose
 * attempt id is {@code instance-p<pid>-b<batch>}, and halts like a SIGKILL at the N-th hit of one
 * crash point when asked. Arguments are {@code key=value} pairs; see {@link #main}.
 */
public final class ProcessorChild {
  /** The exit code of a halt at a crash point, the same as after SIGKILL. */
  static final int HALTED = 137;

  private ProcessorChild() {}

  /**
   * bootstrap, in, out, group, instance, guarantee (a {@link Guarantee} name), crash (a {@link
   * FaultPoint} name or none), crashAt (hit number), commitMs, sessionMs, txnTimeoutMs, static
   * (default true: group.instance.id = instance), assignor, protocol ({@link GroupProtocol} value;
   * sessionMs and assignor apply under classic only).
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    String out = a.get("out");
    String attempt = a.get("instance") + "-p" + ProcessHandle.current().pid() + "-b";
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", a.get("bootstrap"));
    GroupProtocol protocol = GroupProtocol.of(a.getOrDefault("protocol", "classic"));
    protocol.applyTo(props);
    if (protocol.isClassic()) {
      // The consumer protocol refuses these: the broker sets its session and assigns itself.
      props.put("session.timeout.ms", a.getOrDefault("sessionMs", "10000"));
      props.put("heartbeat.interval.ms", "1000");
      // Incremental rebalances: survivors keep processing while a dead instance's partitions move.
      props.put(
          "partition.assignment.strategy",
          a.getOrDefault(
              "assignor", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"));
    }
    props.put("transaction.timeout.ms", a.getOrDefault("txnTimeoutMs", "60000"));
    ExactlyOnceProcessor processor =
        ExactlyOnceProcessor.builder(props)
            // The test's dead-letter topics are created at start.
            .createTopics(true)
            .groupId(a.get("group"))
            .instanceId(a.get("instance"))
            // Static membership (the default): a restarted instance takes its partitions back
            // without a rebalance (under the consumer protocol once the killed one's session
            // ended).
            .staticMembership(Boolean.parseBoolean(a.getOrDefault("static", "true")))
            .guarantee(Guarantee.valueOf(a.getOrDefault("guarantee", "EXACTLY_ONCE")))
            .concurrency(Integer.parseInt(a.getOrDefault("concurrency", "1")))
            .commitInterval(Duration.ofMillis(Long.parseLong(a.getOrDefault("commitMs", "100"))))
            .faults(
                faults(
                    a.getOrDefault("crash", "none"),
                    a.getOrDefault("crashAt", "1"),
                    Boolean.parseBoolean(a.getOrDefault("haltAtOnce", "false"))))
            .input(a.get("in"), new StringDeserializer(), new ByteArrayDeserializer())
            .output(new StringSerializer(), new ByteArraySerializer())
            .process(
                (record, o) ->
                    o.send(
                        out,
                        record.key(),
                        RecordCodec.encodeOutput(
                            RecordCodec.decodeInput(record.value()), attempt + o.batch())))
            .build();
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> processor.close(Duration.ofSeconds(10)), "close"));
    processor.start();
    System.out.println("STARTED " + attempt);
    processor.awaitTermination(Duration.ofDays(1));
    ComponentState state = processor.state();
    System.out.println(
        "STOPPED " + state + " " + processor.failure().map(Throwable::toString).orElse(""));
    System.exit(state == ComponentState.CLOSED ? 0 : state == ComponentState.FENCED ? 3 : 4);
  }

  /**
   * @param atOnce halt the moment the point is reached; otherwise PROCESSOR_DURING_COMMIT lets the
   *     commit start and halts 0-3 ms later, while it is in flight
   */
  private static FaultInjection faults(String point, String at, boolean atOnce) {
    if (point.equals("none")) {
      return FaultInjection.NONE;
    }
    FaultPoint target = FaultPoint.valueOf(point);
    int hit = Integer.parseInt(at);
    AtomicInteger hits = new AtomicInteger();
    return reached -> {
      if (reached != target || hits.incrementAndGet() != hit) {
        return;
      }
      System.out.println("HALT at " + reached + " hit " + hit);
      if (reached == FaultPoint.PROCESSOR_DURING_COMMIT && !atOnce) {
        // Let the commit start, then die while it is in flight.
        Thread t =
            new Thread(
                () -> {
                  try {
                    Thread.sleep(ThreadLocalRandom.current().nextInt(0, 4));
                  } catch (InterruptedException ignored) {
                    // halting anyway
                  }
                  Runtime.getRuntime().halt(HALTED);
                });
        t.start();
      } else {
        Runtime.getRuntime().halt(HALTED);
      }
    };
  }
}
