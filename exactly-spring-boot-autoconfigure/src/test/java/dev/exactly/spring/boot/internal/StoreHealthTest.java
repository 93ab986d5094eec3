package dev.exactly.spring.boot.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.dedup.StoredResult;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StoreHealthTest {

  @Test
  void aStoreWithoutPingIsUnknownNeverUp() {
    StoreHealth h = StoreHealth.probe(new NoPing());
    assertThat(h.status()).isEqualTo(StoreHealth.Status.UNKNOWN);
    assertThat(h.toMap())
        .containsEntry("name", "no-ping")
        .containsEntry("status", "UNKNOWN")
        .extractingByKey("error")
        .asString()
        .contains("does not implement ping");
  }

  @Test
  void aFailedPingIsDownWithItsMessageAndNoCredentials() {
    NoPing failing =
        new NoPing() {
          @Override
          public void ping(Duration timeout) {
            throw new DedupStoreException(
                "dedup store x did not answer a ping: cannot open"
                    + " jdbc:h2:file:/d;USER=sa;PASSWORD=s3cret and redis://app:hunter2@cache:6379",
                new IllegalStateException("cause"));
          }
        };
    StoreHealth h = StoreHealth.probe(failing);
    assertThat(h.status()).isEqualTo(StoreHealth.Status.DOWN);
    assertThat(h.error())
        .isEqualTo(
            "dedup store x did not answer a ping: cannot open"
                + " jdbc:h2:file:/d;USER=sa;PASSWORD=**** and redis://app:****@cache:6379");
  }

  @Test
  void aStoreThatAnswersIsUpWithoutError() {
    NoPing answering =
        new NoPing() {
          @Override
          public void ping(Duration timeout) {
            assertThat(timeout).isEqualTo(StoreHealth.TIMEOUT);
          }
        };
    assertThat(StoreHealth.probe(answering).toMap())
        .isEqualTo(Map.of("name", "no-ping", "status", "UP"));
  }

  /** A store that keeps the interface's default ping. */
  static class NoPing implements DedupStore {
    @Override
    public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Set<String> complete(
        Collection<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Set<String> extend(Collection<Claim.Claimed> claims, Duration lease) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void release(Collection<Claim.Claimed> claims) {}

    @Override
    public int purgeExpired() {
      return 0;
    }

    @Override
    public String name() {
      return "no-ping";
    }

    @Override
    public void close() {}
  }
}
