package dev.exactly.examples.docs.spring;

import dev.exactly.spring.boot.SpringOutbox;
import java.sql.SQLException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The outbox snippet of docs/spring-boot.md. */
@Service
public class NotificationService {
  private final JdbcClient jdbc;
  private final SpringOutbox outbox;

  public NotificationService(JdbcClient jdbc, SpringOutbox outbox) {
    this.jdbc = jdbc;
    this.outbox = outbox;
  }

  @Transactional
  public void blockCard(String card, String reason) throws SQLException {
    jdbc.sql("update cards set blocked = true where id = ?").param(card).update();
    outbox.write("card-notifications", card, reason); // commits or rolls back with the update
  }
}
