package dev.exactly.bench.soak;

import dev.exactly.ComponentState;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.Guarantee;
import dev.exactly.testkit.GroupProtocol;
import dev.exactly.testkit.check.RecordCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One processor instance of the soak, run in a child JVM by {@link ProcessorSoak}: copies check
 * inputs to check outputs stamped with the attempt id {@code instance-p<pid>-b<batch>}, so the
 * checker and the aborted-read monitor can tell every transaction apart. It has no crash points:
 * the soak kills it from outside at random times.
 *
 * <p>Arguments: bootstrap, in, out, group, instance, guarantee (a {@link Guarantee} name),
 * sessionMs (classic only), txnTimeoutMs, static (whether {@code group.instance.id} is the instance
 * name), protocol (a {@link GroupProtocol} value, classic by default).
 */
public final class SoakProcessor {
  /** Exit code when the processor ended FENCED (expected after a pause past the session). */
  static final int FENCED = 3;

  private SoakProcessor() {}

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
    props.put("transaction.timeout.ms", a.get("txnTimeoutMs"));
    if (Boolean.parseBoolean(a.get("static"))) {
      // Static membership: a restarted instance takes its partitions back without a rebalance.
      props.put("group.instance.id", a.get("instance"));
    }
    GroupProtocol protocol = GroupProtocol.of(a.getOrDefault("protocol", "classic"));
    protocol.applyTo(props);
    if (protocol.isClassic()) {
      // The consumer protocol refuses these (ConfigException): the broker sets the session and
      // assigns the partitions itself, incrementally.
      props.put("session.timeout.ms", a.get("sessionMs"));
      props.put("heartbeat.interval.ms", "1000");
      props.put(
          "partition.assignment.strategy",
          "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    }
    ExactlyOnceProcessor processor =
        ExactlyOnceProcessor.builder(props)
            .createTopics(true) // its dead-letter topic
            .groupId(a.get("group"))
            .instanceId(a.get("instance"))
            .guarantee(Guarantee.valueOf(a.get("guarantee")))
            .commitInterval(Duration.ofMillis(100))
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
    System.exit(state == ComponentState.CLOSED ? 0 : state == ComponentState.FENCED ? FENCED : 4);
  }
}
