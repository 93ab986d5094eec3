package dev.exactly.jdbc.sink;

import dev.exactly.jdbc.internal.Dialect;

class H2DbSinkTest extends AbstractDbSinkTest {
  @Override
  protected String url() {
    return "jdbc:h2:mem:sink_h2;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000";
  }

  @Override
  protected Dialect expectedDialect() {
    return Dialect.h2();
  }
}
