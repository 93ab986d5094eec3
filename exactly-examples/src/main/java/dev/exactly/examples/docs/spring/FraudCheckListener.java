package dev.exactly.examples.docs.spring;

import dev.exactly.processor.Output;
import dev.exactly.spring.boot.ExactlyOnceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.stereotype.Component;

/** The annotation snippet of docs/spring-boot.md: the "after" of the migration guide. */
@Component
public class FraudCheckListener {
  private final FraudScorer scorer;

  public FraudCheckListener(FraudScorer scorer) {
    this.scorer = scorer;
  }

  @ExactlyOnceListener(topic = "payments", group = "fraud-check")
  void score(ConsumerRecord<String, String> payment, Output<String, String> out) {
    out.send("fraud-scores", payment.key(), scorer.score(payment.value()));
  }
}
