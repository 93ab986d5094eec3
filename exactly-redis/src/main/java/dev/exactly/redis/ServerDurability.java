package dev.exactly.redis;

import dev.exactly.ConfigurationException;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the Redis server can keep a completed key for its retention: read once at store start
 * from {@code CONFIG GET}. A key the server forgets (a restart without an append-only log, a log
 * the OS has not yet written, an eviction under memory pressure) lets its effect run again on
 * redelivery, so such settings are named with their fix, in a warning or, when the store requires a
 * durable server, in a refusal to start.
 *
 * <p>Not checked: replication. Replicas copy writes asynchronously, so a failover can lose the
 * completions of its last moments whatever these settings are.
 */
final class ServerDurability {
  private static final Logger log = LoggerFactory.getLogger(ServerDurability.class);

  /** One setting that can lose completed keys, with what it does and the fix. */
  record Finding(String setting, String value, String problemAndFix) {
    String describe() {
      return setting + "=" + value + " " + problemAndFix;
    }
  }

  private ServerDurability() {}

  /**
   * Reads the server's settings and reports those that can lose completed keys: each in its own
   * warning, or, when {@code refuse}, all in one exception.
   *
   * @param where the server, for the messages
   * @throws ConfigurationException when {@code refuse} and a setting can lose keys or cannot be
   *     read
   */
  static void check(RedisCommands<byte[], byte[]> commands, String where, boolean refuse) {
    List<Finding> findings = findings(commands, where);
    if (findings.isEmpty()) {
      return;
    }
    if (refuse) {
      Finding first = findings.get(0);
      StringBuilder text = new StringBuilder(first.problemAndFix());
      for (Finding f : findings.subList(1, findings.size())) {
        text.append("; and ").append(f.describe());
      }
      text.append(" (requireDurableServer is on: the store refuses to start)");
      throw new ConfigurationException(first.setting(), first.value(), text.toString());
    }
    for (Finding f : findings) {
      log.warn("redis dedup store: {}", f.describe());
    }
  }

  static List<Finding> findings(RedisCommands<byte[], byte[]> commands, String where) {
    String appendonly;
    String appendfsync;
    String save;
    String policy;
    try {
      appendonly = get(commands, "appendonly");
      appendfsync = get(commands, "appendfsync");
      save = get(commands, "save");
      policy = get(commands, "maxmemory-policy");
    } catch (RedisException e) {
      return List.of(
          new Finding(
              "CONFIG",
              "refused",
              "on Redis at "
                  + where
                  + ": CONFIG GET failed ("
                  + e.getMessage()
                  + "; managed Redis services often disable it), so whether the server keeps"
                  + " completed keys for their retention cannot be checked; make sure it runs with"
                  + " appendonly yes, appendfsync everysec or always, and maxmemory-policy"
                  + " noeviction (in your provider's settings)"));
    }
    List<Finding> out = new ArrayList<>();
    if (!"yes".equals(appendonly)) {
      out.add(
          new Finding(
              "appendonly",
              appendonly,
              "on Redis at "
                  + where
                  + (save == null || save.isBlank()
                      ? ": completed keys live in memory only (save is empty: no snapshots"
                          + " either), so a restart forgets every one"
                      : ": completed keys live in memory and in snapshots (save '"
                          + save
                          + "'), so a restart forgets those written since the last snapshot")
                  + ", and their effects run again on redelivery; set appendonly yes (CONFIG SET"
                  + " appendonly yes, and in redis.conf)"));
    } else if ("no".equals(appendfsync)) {
      out.add(
          new Finding(
              "appendfsync",
              appendfsync,
              "on Redis at "
                  + where
                  + ": the OS decides when the append-only log reaches the disk, so a host crash"
                  + " forgets the completions of the last seconds; set appendfsync everysec (at"
                  + " most about a second) or always (none)"));
    }
    if (!"noeviction".equals(policy)) {
      out.add(
          new Finding(
              "maxmemory-policy",
              policy,
              "on Redis at "
                  + where
                  + ": under memory pressure Redis evicts keys, and every dedup key has a time to"
                  + " live, so this policy can evict a completed key and its effect runs again on"
                  + " redelivery; set maxmemory-policy noeviction (a full Redis then fails writes,"
                  + " which the store reports as a failure, never as a forgotten key)"));
    }
    return out;
  }

  private static String get(RedisCommands<byte[], byte[]> commands, String setting) {
    return commands.configGet(setting).get(setting);
  }
}
