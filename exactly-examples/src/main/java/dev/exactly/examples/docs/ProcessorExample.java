package dev.exactly.examples.docs;

import dev.exactly.processor.ExactlyOnceProcessor;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The snippet of docs/processor.md. */
final class ProcessorExample {
  private ProcessorExample() {}

  static void run(
      Map<String, Object> kafkaProperties, String podName, MeterRegistry meterRegistry) {
    ExactlyOnceProcessor p =
        ExactlyOnceProcessor.builder(kafkaProperties) // SSL/SASL pass through
            .groupId("fraud-check")
            .instanceId(podName) // stable per instance: the transactional id
            .input("payment-events", new StringDeserializer(), new StringDeserializer())
            .output(new StringSerializer(), new StringSerializer())
            .process(
                (record, out) -> out.send("fraud-results", record.key(), score(record.value())))
            .meterRegistry(meterRegistry)
            .build();
    p.start();
    // ... until the application stops:
    p.close(Duration.ofSeconds(30));
  }

  static String score(String payment) {
    return payment.length() > 1000 ? "review" : "ok";
  }
}
