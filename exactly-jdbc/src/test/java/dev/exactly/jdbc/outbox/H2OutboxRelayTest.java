package dev.exactly.jdbc.outbox;

class H2OutboxRelayTest extends AbstractOutboxRelayTest {
  @Override
  protected String jdbcUrl() {
    return "jdbc:h2:mem:outbox;DB_CLOSE_DELAY=-1";
  }

  @Override
  protected boolean hasSessionLocks() {
    return false;
  }
}
