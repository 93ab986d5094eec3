package dev.exactly.bench.pc;

import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelConsumerOptions.CommitMode;
import io.confluent.parallelconsumer.ParallelConsumerOptions.ProcessingOrder;
import io.confluent.parallelconsumer.ParallelStreamProcessor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Confluent Parallel Consumer over one topic with the comparison's handler, until a given number of
 * records has been handled; then it closes (draining and committing) and exits.
 *
 * <p>The handler is the one the Exactly side runs: an HTTP POST of the record's value to {@code
 * effectUrl} with {@code Idempotency-Key: <topic>-<partition>@<offset>}, through a JDK {@link
 * HttpClient}. Parallel Consumer does no deduplication: a record redelivered after a crash or a
 * rebalance is posted again.
 *
 * <p>Args: bootstrap topic group concurrency records effectUrl [commitMode
 * (PERIODIC_CONSUMER_ASYNCHRONOUS)]. Prints one line {@code PC_RESULT handled=<n> seconds=<s>
 * records_per_s=<r> commit_mode=<m>}, the time taken from the first handler's start to the n-th
 * handler's end, and exits 0; on a failure prints {@code PC_FAILED <reason>} and exits 2.
 */
public final class ParallelConsumerRun {
  private static final Duration LIMIT = Duration.ofMinutes(10);

  private ParallelConsumerRun() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 6) {
      System.err.println(
          "usage: ParallelConsumerRun bootstrap topic group concurrency records effectUrl"
              + " [commitMode]");
      System.exit(64);
    }
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    int concurrency = Integer.parseInt(args[3]);
    long records = Long.parseLong(args[4]);
    URI effect = URI.create(args[5]);
    CommitMode commitMode =
        CommitMode.valueOf(args.length > 6 ? args[6] : "PERIODIC_CONSUMER_ASYNCHRONOUS");

    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false); // Parallel Consumer commits itself
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c);

    ParallelConsumerOptions.ParallelConsumerOptionsBuilder<String, String> options =
        ParallelConsumerOptions.<String, String>builder()
            .consumer(consumer)
            .ordering(ProcessingOrder.KEY)
            .maxConcurrency(concurrency)
            .commitMode(commitMode);
    if (commitMode == CommitMode.PERIODIC_TRANSACTIONAL_PRODUCER) {
      // Its transactional mode commits the offsets in a producer transaction, so it needs one.
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "pc-" + group + "-" + UUID.randomUUID());
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      options.producer(new KafkaProducer<String, String>(p));
    }

    HttpClient http = HttpClient.newBuilder().executor(Executors.newCachedThreadPool()).build();
    AtomicLong handled = new AtomicLong();
    AtomicLong first = new AtomicLong();
    AtomicLong last = new AtomicLong();
    ParallelStreamProcessor<String, String> pc =
        ParallelStreamProcessor.createEosStreamProcessor(options.build());
    pc.subscribe(List.of(topic));
    pc.poll(
        context -> {
          first.compareAndSet(0, System.nanoTime());
          ConsumerRecord<String, String> r = context.getSingleConsumerRecord();
          HttpRequest request =
              HttpRequest.newBuilder(effect)
                  .setHeader("Idempotency-Key", r.topic() + "-" + r.partition() + "@" + r.offset())
                  .POST(HttpRequest.BodyPublishers.ofString(r.value()))
                  .build();
          try {
            HttpResponse<Void> response =
                http.send(request, HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() != 200) {
              // Thrown, Parallel Consumer retries the record, as Exactly's engine would.
              throw new IllegalStateException("effect answered " + response.statusCode());
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
          if (handled.incrementAndGet() == records) {
            last.set(System.nanoTime());
          }
        });

    long deadline = System.nanoTime() + LIMIT.toNanos();
    int exit = 0;
    while (last.get() == 0) {
      if (pc.isClosedOrFailed()) {
        System.out.println(
            "PC_FAILED closed or failed after " + handled.get() + " of " + records + " records");
        exit = 2;
        break;
      }
      if (System.nanoTime() > deadline) {
        System.out.println(
            "PC_FAILED handled " + handled.get() + " of " + records + " in " + LIMIT);
        exit = 2;
        break;
      }
      Thread.sleep(5);
    }
    if (exit == 0) {
      double seconds = (last.get() - first.get()) / 1e9;
      System.out.printf(
          "PC_RESULT handled=%d seconds=%.3f records_per_s=%.1f commit_mode=%s%n",
          records, seconds, records / seconds, commitMode);
    }
    System.out.flush();
    pc.closeDrainFirst(Duration.ofSeconds(30));
    System.exit(exit);
  }
}
