package dev.exactly.examples.fraudcheck;

import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.processor.RecordProcessor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.dao.DuplicateKeyException;

/**
 * The two components of {@code application.properties}, each a bean named after it: the starter
 * finds {@code exactly.processors.scores.*} its {@code scores} bean and {@code
 * exactly.consumers.card-blocks.*} its {@code cardBlocks} bean.
 */
@Configuration(proxyBeanMethods = false)
public class FraudCheckConfiguration {
  /** The header that carries the payment id to the card-block consumer's dedup key. */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  /**
   * Scores each payment into {@code payment-scores}, keyed by card. The score, the payment's offset
   * and the consumer group's position commit in one Kafka transaction: a payment scored before a
   * crash and scored again after it appears once to read_committed readers.
   */
  @Bean
  RecordProcessor<String, String, String, String> scores() {
    return (record, out) -> {
      Payment payment = Payment.parse(record.value());
      Score score = new Score(payment.id(), payment.card(), FraudScorer.score(payment));
      out.send(
          "payment-scores",
          null,
          payment.card(),
          score.format(),
          List.of(
              new RecordHeader(IDEMPOTENCY_KEY, payment.id().getBytes(StandardCharsets.UTF_8))));
    };
  }

  /**
   * Blocks the card of each high score. The dedup store (on the application's DataSource) runs this
   * once per payment id; the one window it leaves, a crash after the call and before the key is
   * marked done, is closed by the card-block API honouring the relayed {@code Idempotency-Key} and
   * by {@code card_blocks}' primary key.
   */
  @Bean
  IdempotentConsumer.Handler<String, String> cardBlocks(
      FraudProperties fraud, CardBlockClient client, CardBlockLedger ledger) {
    return record -> {
      Score score = Score.parse(record.record().value());
      if (score.score() < fraud.blockThreshold()) {
        return;
      }
      client.block(score, record.idempotencyKey());
      try {
        ledger.record(score);
      } catch (DuplicateKeyException alreadyRecorded) {
        // An attempt before a crash committed the block and its notification; nothing to add.
      }
    };
  }
}
