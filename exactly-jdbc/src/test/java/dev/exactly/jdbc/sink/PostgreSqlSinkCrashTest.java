package dev.exactly.jdbc.sink;

import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.GroupProtocol;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PostgreSqlSinkCrashTest extends AbstractSinkCrashTest {
  @BeforeAll
  static void server() {
    ExternalService.POSTGRESQL.assumeAvailable();
  }

  /**
   * The kill test under KIP-848's consumer group protocol too, on one database only: a killed child
   * then holds its partitions until the broker's session for it ends (10 s on the testkit's
   * brokers), not the 2 s the children set under classic.
   */
  @Test
  void underTheConsumerGroupProtocolEveryInputIsOneRowAfterKills() throws Exception {
    protocol = GroupProtocol.CONSUMER;
    killAtNamedPointsAndAtRandom();
  }

  @Override
  protected String url() {
    return ExternalService.POSTGRESQL.url();
  }

  @Override
  protected String db() {
    return "pg";
  }
}
