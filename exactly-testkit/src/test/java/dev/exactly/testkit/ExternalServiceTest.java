package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.opentest4j.TestAbortedException;

class ExternalServiceTest {

  @Test
  void unreachableServerSkipsWithHowToStartIt() {
    assertThatThrownBy(() -> ExternalService.POSTGRESQL.assumeAvailable(false, false))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("PostgreSQL is not reachable at 127.0.0.1:5432")
        .hasMessageContaining("pg_ctlcluster");
  }

  @Test
  void unreachableServerFailsWhenServicesAreRequired() {
    assertThatThrownBy(() -> ExternalService.REDIS.assumeAvailable(false, true))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Redis is not reachable")
        .hasMessageContaining("EXACTLY_REQUIRE_SERVICES=true");
  }

  @Test
  void reachableServerPasses() {
    assertThatCode(() -> ExternalService.MARIADB.assumeAvailable(true, true))
        .doesNotThrowAnyException();
  }

  /** In CI (services required) this fails when a server .ci/run should have started is down. */
  @ParameterizedTest
  @EnumSource(ExternalService.class)
  void serverIsUpOrTheTestSaysHowToStartIt(ExternalService service) {
    service.assumeAvailable();
  }
}
