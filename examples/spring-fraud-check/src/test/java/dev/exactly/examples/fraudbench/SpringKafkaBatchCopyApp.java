package dev.exactly.examples.fraudbench;

import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Spring Kafka at its fastest for this job: a batch {@code @KafkaListener} ({@code
 * spring.kafka.listener.type=batch}), so the container runs one Kafka transaction per poll rather
 * than one per record, sending every record of the poll on.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class SpringKafkaBatchCopyApp {
  @Bean
  BatchCopier copier(
      KafkaTemplate<byte[], byte[]> template, @Value("${bench.out}") String outTopic) {
    return new BatchCopier(template, outTopic);
  }

  /** The listener; its sends join the container's transaction for the poll. */
  public static class BatchCopier {
    private final KafkaTemplate<byte[], byte[]> template;
    private final String outTopic;

    BatchCopier(KafkaTemplate<byte[], byte[]> template, String outTopic) {
      this.template = template;
      this.outTopic = outTopic;
    }

    @KafkaListener(topics = "${bench.in}", groupId = "${bench.group}")
    public void copy(List<ConsumerRecord<byte[], byte[]>> records) {
      for (ConsumerRecord<byte[], byte[]> record : records) {
        template.send(outTopic, record.key(), record.value());
      }
    }
  }
}
