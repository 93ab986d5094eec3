package dev.exactly.examples.docs;

import dev.exactly.Ordering;
import dev.exactly.processor.ExactlyOnceProcessor;
import java.util.Map;
import java.util.concurrent.Executor;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The concurrency snippet of docs/processor.md. */
final class ConcurrentProcessorExample {
  private ConcurrentProcessorExample() {}

  static ExactlyOnceProcessor build(
      Map<String, Object> kafkaProperties, String podName, Executor virtualThreads) {
    ExactlyOnceProcessor p =
        ExactlyOnceProcessor.builder(kafkaProperties)
            .groupId("fraud-check")
            .instanceId(podName)
            .concurrency(32) // records worked on at once
            .ordering(Ordering.KEY) // the default: one key's records one after the other
            .executor(virtualThreads) // optional; default a pool of `concurrency` threads
            .input("payment-events", new StringDeserializer(), new StringDeserializer())
            .output(new StringSerializer(), new StringSerializer())
            .process((record, out) -> out.send("fraud-results", record.key(), score(record)))
            .build();
    return p;
  }

  /** A remote call in real life: the reason to run many at once. */
  static String score(org.apache.kafka.clients.consumer.ConsumerRecord<String, String> record) {
    return record.value().length() > 1000 ? "review" : "ok";
  }
}
