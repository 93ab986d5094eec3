package dev.exactly.examples.fraudcheck;

import dev.exactly.spring.boot.SpringOutbox;
import java.sql.SQLException;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The local record of blocked cards, and the notification each block sends. */
@Service
public class CardBlockLedger {
  private final JdbcClient jdbc;
  private final SpringOutbox outbox;

  public CardBlockLedger(JdbcClient jdbc, SpringOutbox outbox) {
    this.jdbc = jdbc;
    this.outbox = outbox;
  }

  /**
   * Records the block and writes its notification to the outbox in one transaction: the relay
   * publishes the notification if and only if the row commits.
   *
   * @throws org.springframework.dao.DuplicateKeyException when this payment's block is recorded
   *     already; the primary key decides, atomically, and nothing is written
   */
  @Transactional
  public void record(Score score) throws SQLException {
    jdbc.sql("insert into card_blocks (payment_id, card, score) values (?, ?, ?)")
        .params(score.paymentId(), score.card(), score.score())
        .update();
    outbox.write(
        "notifications",
        score.card(),
        "card " + score.card() + " blocked after payment " + score.paymentId(),
        Map.of("payment-id", score.paymentId()));
  }
}
