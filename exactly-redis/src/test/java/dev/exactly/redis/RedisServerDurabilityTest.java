package dev.exactly.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ConfigurationException;
import dev.exactly.testkit.ExternalService;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * At start the store reads the real server's persistence and eviction settings and warns about (or,
 * asked to, refuses) those that can lose a completed key before its retention ends. The settings
 * are changed with CONFIG SET for a test and put back as they were afterwards.
 */
class RedisServerDurabilityTest {
  private static final String[] SETTINGS = {"appendonly", "appendfsync", "maxmemory-policy"};

  private RedisClient client;
  private StatefulRedisConnection<String, String> admin;
  private final Map<String, String> before = new LinkedHashMap<>();

  @BeforeAll
  static void server() {
    ExternalService.REDIS.assumeAvailable();
  }

  @BeforeEach
  void readTheServersSettings() {
    client = RedisClient.create(ExternalService.REDIS.url());
    admin = client.connect();
    for (String s : SETTINGS) {
      before.put(s, admin.sync().configGet(s).get(s));
    }
  }

  @AfterEach
  void putThemBack() {
    try {
      RedisCommands<String, String> r = admin.sync();
      before.forEach(r::configSet);
    } finally {
      admin.close();
      client.shutdown();
    }
  }

  private void set(String setting, String value) {
    admin.sync().configSet(setting, value);
  }

  /** What the store logged while {@code start} ran (slf4j-simple writes to System.err). */
  private static String logOf(Supplier<RedisDedupStore> start) {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      start.get().close();
    } finally {
      System.setErr(err);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    err.print(log);
    return log;
  }

  private static RedisDedupStore.Builder builder() {
    return RedisDedupStore.builder(ExternalService.REDIS.url());
  }

  @Test
  void aServerWithoutAnAppendOnlyLogIsNamedInAWarningAtStart() {
    set("appendonly", "no");
    set("maxmemory-policy", "noeviction");
    assertThat(logOf(() -> builder().build()))
        .contains("WARN")
        .contains("appendonly=no")
        .contains("appendonly yes");
  }

  @Test
  void anEvictionPolicyThatMayEvictKeysWithATimeToLiveIsNamedInAWarningAtStart() {
    set("maxmemory-policy", "volatile-lru");
    assertThat(logOf(() -> builder().build()))
        .contains("maxmemory-policy=volatile-lru")
        .contains("noeviction");
  }

  @Test
  void requireDurableServerRefusesToStartOnAServerWithoutAnAppendOnlyLog() {
    set("appendonly", "no");
    set("maxmemory-policy", "noeviction");
    assertThatThrownBy(() -> builder().requireDurableServer(true).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("appendonly=no")
        .hasMessageContaining("appendonly yes");
  }

  @Test
  void requireDurableServerRefusesAnEvictingServerAndAnUnsyncedLog() {
    set("appendonly", "yes");
    set("appendfsync", "no");
    set("maxmemory-policy", "allkeys-lru");
    assertThatThrownBy(() -> builder().requireDurableServer(true).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("appendfsync=no")
        .hasMessageContaining("maxmemory-policy=allkeys-lru");
  }

  @Test
  void aServerThatKeepsCompletedKeysStartsWithoutAWarning() {
    set("appendonly", "yes");
    set("appendfsync", "everysec");
    set("maxmemory-policy", "noeviction");
    assertThat(logOf(() -> builder().requireDurableServer(true).build()))
        .doesNotContain("appendonly")
        .doesNotContain("maxmemory-policy");
  }

  /** As on a managed Redis that disables CONFIG: a user without the right to run it. */
  @Test
  void whereConfigIsRefusedTheWarningSaysSoAndRequireDurableServerRefuses() {
    String user = "exactly-noconfig-" + UUID.randomUUID();
    admin
        .sync()
        .aclSetuser(
            user,
            io.lettuce.core.AclSetuserArgs.Builder.on()
                .nopass()
                .allKeys()
                .allChannels()
                .allCommands()
                .removeCommand(io.lettuce.core.protocol.CommandType.CONFIG));
    try {
      String uri = "redis://" + user + ":any@127.0.0.1:6379";
      assertThat(logOf(() -> RedisDedupStore.builder(uri).build()))
          .contains("WARN")
          .contains("CONFIG")
          .contains("appendonly yes")
          .contains("noeviction");
      assertThatThrownBy(() -> RedisDedupStore.builder(uri).requireDurableServer(true).build())
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("CONFIG");
    } finally {
      admin.sync().aclDeluser(user);
    }
  }
}
