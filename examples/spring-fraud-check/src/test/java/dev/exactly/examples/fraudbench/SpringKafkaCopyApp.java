package dev.exactly.examples.fraudbench;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * The benchmark's Spring Kafka side: a {@code @KafkaListener} whose container runs each record in a
 * Kafka transaction ({@code spring.kafka.producer.transaction-id-prefix} set, so Boot gives the
 * container a {@code KafkaTransactionManager}) and sends it on unchanged.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class SpringKafkaCopyApp {
  @Bean
  Copier copier(KafkaTemplate<byte[], byte[]> template, @Value("${bench.out}") String outTopic) {
    return new Copier(template, outTopic);
  }

  /** The listener; its sends join the container's transaction. */
  public static class Copier {
    private final KafkaTemplate<byte[], byte[]> template;
    private final String outTopic;

    Copier(KafkaTemplate<byte[], byte[]> template, String outTopic) {
      this.template = template;
      this.outTopic = outTopic;
    }

    @KafkaListener(topics = "${bench.in}", groupId = "${bench.group}")
    public void copy(ConsumerRecord<byte[], byte[]> record) {
      template.send(outTopic, record.key(), record.value());
    }
  }
}
