package dev.exactly.cli;

import dev.exactly.testkit.EmbeddedKafka;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A small real pipeline on an embedded broker: transactional produce with some transactions aborted
 * on purpose, then a {@code read_committed} consumer that must see every committed record once and
 * no aborted one.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    header = "Run a real pipeline on an embedded broker and check it.",
    description = {
      "Run a real pipeline on an embedded Kafka broker and show that every committed record is",
      "read exactly once and no record of an aborted transaction is ever seen."
    })
final class DemoCommand implements Callable<Integer> {
  private static final String TOPIC = "demo-orders";
  private static final Duration CONSUME_TIMEOUT = Duration.ofMinutes(2);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--records",
      paramLabel = "N",
      description = "Committed records to produce (default: ${DEFAULT-VALUE}).",
      defaultValue = "100000")
  int records;

  @Option(
      names = "--transaction-size",
      paramLabel = "N",
      description = "Records per transaction (default: ${DEFAULT-VALUE}).",
      defaultValue = "1000")
  int transactionSize;

  @Option(
      names = "--abort-every",
      paramLabel = "N",
      description =
          "Abort every N-th transaction on purpose; 0 aborts none (default: ${DEFAULT-VALUE}).",
      defaultValue = "10")
  int abortEvery;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      description = "Partitions of the demo topic (default: ${DEFAULT-VALUE}).",
      defaultValue = "6")
  int partitions;

  @Override
  public Integer call() {
    requirePositive("--records", records);
    requirePositive("--transaction-size", transactionSize);
    requirePositive("--partitions", partitions);
    if (abortEvery < 0) {
      throw bad("--abort-every", abortEvery, "must be 0 or more");
    }
    PrintWriter out = spec.commandLine().getOut();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      out.printf(
          "Embedded Apache Kafka %s broker at %s, started in %d ms%n",
          Version.kafka(), kafka.bootstrapServers(), kafka.startupTime().toMillis());
      kafka.createTopic(TOPIC, partitions);
      out.printf(
          "Producing %,d records in transactions of %,d (every %s transaction aborted)...%n",
          records, transactionSize, abortEvery == 0 ? "no" : ordinal(abortEvery));
      out.flush();
      Produced produced = produce(kafka.bootstrapServers());
      out.println("Consuming with isolation.level=read_committed...");
      out.flush();
      Consumed consumed = consume(kafka.bootstrapServers());
      Report report = new Report(produced, consumed);
      report.print(out);
      return report.exactlyOnce() ? 0 : 1;
    }
  }

  /** Committed record n has id "c-n"; aborted ones "a-n", so a leak of one is caught by name. */
  private Produced produce(String bootstrap) {
    Map<String, Object> props =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            "exactly-demo-producer",
            ProducerConfig.RETRY_BACKOFF_MS_CONFIG,
            10,
            ProducerConfig.LINGER_MS_CONFIG,
            5,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            StringSerializer.class);
    char[] pad = new char[200];
    Arrays.fill(pad, '.');
    String payload = new String(pad);
    long begin = System.nanoTime();
    int committed = 0;
    int aborted = 0;
    int transactions = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      producer.initTransactions();
      while (committed < records) {
        transactions++;
        boolean abort = abortEvery > 0 && transactions % abortEvery == 0;
        int size = abort ? transactionSize : Math.min(transactionSize, records - committed);
        producer.beginTransaction();
        for (int i = 0; i < size; i++) {
          int n = abort ? aborted + i : committed + i;
          String id = (abort ? "a-" : "c-") + n;
          producer.send(new ProducerRecord<>(TOPIC, "customer-" + (n % 997), id + "|" + payload));
        }
        if (abort) {
          producer.flush(); // the records reach the log, so hiding them is read_committed's work
          producer.abortTransaction();
          aborted += size;
        } else {
          producer.commitTransaction();
          committed += size;
        }
      }
    }
    return new Produced(committed, aborted, System.nanoTime() - begin);
  }

  private Consumed consume(String bootstrap) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG,
            "exactly-demo-consumer",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            2000,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            StringDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            StringDeserializer.class);
    BitSet seen = new BitSet(records);
    long duplicates = 0;
    long abortedSeen = 0;
    long total = 0;
    long begin = System.nanoTime();
    long deadline = begin + CONSUME_TIMEOUT.toNanos();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(TOPIC));
      // Stop when every committed id has been seen and a further poll brings nothing new.
      while (System.nanoTime() < deadline) {
        var batch = consumer.poll(Duration.ofMillis(500));
        if (batch.isEmpty() && seen.cardinality() == records) {
          break;
        }
        for (ConsumerRecord<String, String> r : batch) {
          total++;
          String id = r.value().substring(0, r.value().indexOf('|'));
          if (id.startsWith("a-")) {
            abortedSeen++;
          } else {
            int n = Integer.parseInt(id.substring(2));
            if (seen.get(n)) {
              duplicates++;
            }
            seen.set(n);
          }
        }
        consumer.commitSync();
      }
    }
    long elapsed = System.nanoTime() - begin;
    return new Consumed(total, records - seen.cardinality(), duplicates, abortedSeen, elapsed);
  }

  private record Produced(int committed, int aborted, long nanos) {}

  private record Consumed(long total, long lost, long duplicates, long abortedSeen, long nanos) {}

  private record Report(Produced produced, Consumed consumed) {
    boolean exactlyOnce() {
      return consumed.lost == 0 && consumed.duplicates == 0 && consumed.abortedSeen == 0;
    }

    void print(PrintWriter out) {
      out.println();
      out.printf("%-26s %12s %10s %12s%n", "", "records", "seconds", "records/s");
      row(out, "produced, committed", produced.committed, produced.nanos);
      out.printf("%-26s %,12d %10s %12s%n", "produced, aborted", produced.aborted, "-", "-");
      row(out, "consumed (read_committed)", consumed.total, consumed.nanos);
      out.println();
      out.printf("%-26s %,12d%n", "duplicates", consumed.duplicates);
      out.printf("%-26s %,12d%n", "lost", consumed.lost);
      out.printf("%-26s %,12d%n", "aborted records seen", consumed.abortedSeen);
      out.printf("%-26s %12s%n", "result", exactlyOnce() ? "EXACTLY-ONCE" : "VIOLATED");
      out.flush();
    }

    private static void row(PrintWriter out, String what, long count, long nanos) {
      double seconds = nanos / 1e9;
      out.printf(
          "%-26s %,12d %10.2f %,12.0f%n", what, count, seconds, seconds > 0 ? count / seconds : 0);
    }
  }

  private void requirePositive(String option, int value) {
    if (value < 1) {
      throw bad(option, value, "must be at least 1");
    }
  }

  private CommandLine.ParameterException bad(String option, int value, String why) {
    return new CommandLine.ParameterException(
        spec.commandLine(), "Invalid value for option '" + option + "': " + value + " " + why);
  }

  private static String ordinal(int n) {
    int mod100 = n % 100;
    String suffix =
        mod100 >= 11 && mod100 <= 13
            ? "th"
            : switch (n % 10) {
              case 1 -> "st";
              case 2 -> "nd";
              case 3 -> "rd";
              default -> "th";
            };
    return n + suffix;
  }
}
