package dev.exactly.testkit.check;

import dev.exactly.testkit.internal.SendFailures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Makes check inputs (unique ids, keys, per-key sequences) and writes them to a topic keyed by the
 * input's key, so every key's inputs land in one partition in sequence order.
 */
public final class InputGenerator {
  private InputGenerator() {}

  /**
   * {@code count} inputs spread over {@code keys} keys at random (seeded, so repeatable), with ids
   * {@code in-0000000}... and each key's sequence counting from 0.
   */
  public static List<Input> generate(int count, int keys, long seed) {
    Random random = new Random(seed);
    long[] next = new long[keys];
    List<Input> inputs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int k = random.nextInt(keys);
      inputs.add(new Input(String.format("in-%07d", i), "key-" + k, next[k]++));
    }
    return inputs;
  }

  /**
   * Writes the inputs in order with an idempotent producer, with a payload of {@code payloadBytes}
   * characters, at most {@code perSecond} records a second (0: as fast as possible), and waits
   * until all are acknowledged.
   *
   * @throws IllegalStateException when any input could not be written, naming how many and why
   */
  public static void produce(
      String bootstrapServers, String topic, List<Input> inputs, int payloadBytes, int perSecond) {
    char[] fill = new char[payloadBytes];
    Arrays.fill(fill, 'x');
    String payload = new String(fill);
    Map<String, Object> props =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true,
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.LINGER_MS_CONFIG,
            5,
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
            300_000,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            ByteArraySerializer.class);
    long start = System.nanoTime();
    // A send that fails for good (seen right after a topic is created: NOT_LEADER_OR_FOLLOWER,
    // then OUT_OF_ORDER_SEQUENCE until the delivery timeout) would otherwise vanish, and the
    // checker would blame the system under test for losing an input it never received.
    SendFailures failures = new SendFailures();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props)) {
      for (int i = 0; i < inputs.size(); i++) {
        Input input = inputs.get(i);
        producer.send(
            new ProducerRecord<>(topic, input.key(), RecordCodec.encodeInput(input, payload)),
            failures);
        if (perSecond > 0 && i % 100 == 99) {
          long due = start + TimeUnit.SECONDS.toNanos(1) * (i + 1) / perSecond;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            sleep(Duration.ofNanos(wait));
          }
        }
      }
      producer.flush();
    }
    if (failures.count() > 0) {
      throw new IllegalStateException(
          failures.count()
              + " of "
              + inputs.size()
              + " inputs could not be written to "
              + topic
              + ", so a check against them would report losses the system under test never"
              + " caused; the first error: "
              + failures.first(),
          failures.first());
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while producing inputs", e);
    }
  }
}
