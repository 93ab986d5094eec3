package dev.exactly.jdbc.sink;

import dev.exactly.testkit.ExternalService;
import org.junit.jupiter.api.BeforeAll;

class MariaDbSinkCrashTest extends AbstractSinkCrashTest {
  @BeforeAll
  static void server() {
    ExternalService.MARIADB.assumeAvailable();
  }

  @Override
  protected String url() {
    return ExternalService.MARIADB.url();
  }

  @Override
  protected String db() {
    return "maria";
  }
}
