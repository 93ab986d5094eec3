package dev.exactly.examples.docs.spring;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.annotation.Transactional;

/**
 * The "before" of docs/spring-boot.md's migration guide: Spring Kafka with container transactions.
 * Compiled here so the guide shows code that really builds against Spring Kafka.
 */
public class SpringKafkaFraudCheck {
  private final KafkaTemplate<String, String> template;
  private final FraudScorer scorer;

  public SpringKafkaFraudCheck(KafkaTemplate<String, String> template, FraudScorer scorer) {
    this.template = template;
    this.scorer = scorer;
  }

  // application.properties: spring.kafka.producer.transaction-id-prefix=fraud-
  @KafkaListener(topics = "payments", groupId = "fraud-check")
  @Transactional("kafkaTransactionManager")
  public void score(ConsumerRecord<String, String> payment) {
    template.send("fraud-scores", payment.key(), scorer.score(payment.value()));
  }
}
