package dev.exactly.examples.docs.spring;

import dev.exactly.RetryPolicy;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.jdbc.sink.BatchHandler;
import dev.exactly.processor.RecordProcessor;
import dev.exactly.spring.boot.ExactlyCustomizer;
import java.sql.PreparedStatement;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The bean snippets of docs/spring-boot.md: one bean per component named under exactly.*. */
@Configuration(proxyBeanMethods = false)
public class ScoringConfiguration {

  // exactly.processors.scores.input-topic=payments
  @Bean
  RecordProcessor<String, String, String, String> scores(FraudScorer scorer) {
    return (payment, out) -> out.send("fraud-scores", payment.key(), scorer.score(payment.value()));
  }

  // exactly.consumers.card-blocks.input-topic=fraud-scores
  // exactly.consumers.card-blocks.dedup-key=header:Idempotency-Key
  @Bean
  IdempotentConsumer.Handler<String, String> cardBlocks(CardService cards) {
    return record -> cards.block(record.key(), record.idempotencyKey());
  }

  // exactly.sinks.ledger.topics=fraud-scores
  @Bean
  BatchHandler<String, String> ledger() {
    return (records, connection) -> {
      try (PreparedStatement insert =
          connection.prepareStatement("insert into ledger (payment, score) values (?, ?)")) {
        for (var r : records) {
          insert.setString(1, r.key());
          insert.setString(2, r.value());
          insert.addBatch();
        }
        insert.executeBatch();
      }
    };
  }

  @Bean
  ExactlyCustomizer.Processor patientRetries() {
    return (name, builder) -> builder.retry(RetryPolicy.exponential(5, Duration.ofMillis(200)));
  }
}
