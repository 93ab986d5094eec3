package dev.exactly.examples.fraudcheck;

import dev.exactly.testkit.check.Input;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Test payments, seeded, and what the checker expects of them: one score each, and one card block
 * and one notification for each payment whose score reaches the threshold.
 */
final class Payments {
  final List<Payment> all;

  private Payments(List<Payment> all) {
    this.all = List.copyOf(all);
  }

  /** {@code count} payments over {@code cards} cards, amounts up to 10,000.00. */
  static Payments generate(int count, int cards, long seed) {
    Random random = new Random(seed);
    List<Payment> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(
          new Payment(
              String.format("pay-%06d", i),
              "card-" + random.nextInt(cards),
              random.nextInt(1_000_000)));
    }
    return new Payments(out);
  }

  /** Every payment as a checker input, keyed by card in production order. */
  List<Input> scored() {
    return inputs(all);
  }

  /** The payments whose card is blocked, as checker inputs. */
  List<Input> blocked(int threshold) {
    return inputs(all.stream().filter(p -> FraudScorer.score(p) >= threshold).toList());
  }

  private static List<Input> inputs(List<Payment> payments) {
    Map<String, Long> next = new HashMap<>();
    List<Input> out = new ArrayList<>(payments.size());
    for (Payment p : payments) {
      out.add(new Input(p.id(), p.card(), next.merge(p.card(), 1L, Long::sum) - 1));
    }
    return out;
  }

  /**
   * Writes the payments to {@code topic} with an idempotent producer, keyed by card, at {@code
   * perSecond}, and waits for every acknowledgement.
   *
   * @throws IllegalStateException when a send failed, so that a lost input is never blamed on the
   *     application
   */
  void produce(String bootstrap, String topic, int perSecond) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    AtomicReference<Exception> failure = new AtomicReference<>();
    long start = System.nanoTime();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      for (int i = 0; i < all.size(); i++) {
        Payment p = all.get(i);
        producer.send(
            new ProducerRecord<>(topic, p.card(), p.format()),
            (metadata, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              }
            });
        if (perSecond > 0 && i % 50 == 49) {
          long due = start + TimeUnit.SECONDS.toNanos(1) * (i + 1) / perSecond;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            try {
              TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException("interrupted producing payments", e);
            }
          }
        }
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a payment could not be written", failure.get());
    }
  }
}
