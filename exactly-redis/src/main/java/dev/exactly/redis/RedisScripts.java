package dev.exactly.redis;

import dev.exactly.dedup.DedupStoreException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Lua scripts that decide claims, completions, lease extensions and releases atomically on the
 * server, the one that reads keys back after a call timed out, and running them by SHA, loading a
 * script again when the server has lost it.
 */
final class RedisScripts {
  private static final String CLAIM =
      """
      local out = {}
      for i = 1, #KEYS do
        if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then
          out[i] = {1}
        else
          out[i] = {0, redis.call('PTTL', KEYS[i]), redis.call('GET', KEYS[i])}
        end
      end
      return out
      """;

  // ARGV[1] retention; then per key: the claim value expected, the done value to write.
  private static final String COMPLETE =
      """
      local lost = {}
      for i = 1, #KEYS do
        local v = redis.call('GET', KEYS[i])
        if v == ARGV[2 * i] or v == ARGV[2 * i + 1] then
          redis.call('SET', KEYS[i], ARGV[2 * i + 1], 'PX', ARGV[1])
        else
          lost[#lost + 1] = KEYS[i]
        end
      end
      return lost
      """;

  // ARGV[1] the lease; then per key the claim value expected. Returns the keys extended.
  private static final String EXTEND =
      """
      local extended = {}
      for i = 1, #KEYS do
        if redis.call('GET', KEYS[i]) == ARGV[i + 1] then
          redis.call('PEXPIRE', KEYS[i], ARGV[1])
          extended[#extended + 1] = KEYS[i]
        end
      end
      return extended
      """;

  private static final String RELEASE =
      """
      for i = 1, #KEYS do
        if redis.call('GET', KEYS[i]) == ARGV[i] then
          redis.call('DEL', KEYS[i])
        end
      end
      return 0
      """;

  // What a timed-out call left: per key, its remaining time and its value.
  private static final String READ =
      """
      local out = {}
      for i = 1, #KEYS do
        out[i] = {redis.call('PTTL', KEYS[i]), redis.call('GET', KEYS[i])}
      end
      return out
      """;

  /** The scripts, by the call they serve. */
  enum Script {
    CLAIM(RedisScripts.CLAIM),
    COMPLETE(RedisScripts.COMPLETE),
    EXTEND(RedisScripts.EXTEND),
    RELEASE(RedisScripts.RELEASE),
    READ(RedisScripts.READ);

    final String source;

    Script(String source) {
      this.source = source;
    }
  }

  private final StatefulRedisConnection<byte[], byte[]> connection;
  private final String storeName;
  private final Map<Script, String> shas = new ConcurrentHashMap<>();

  RedisScripts(StatefulRedisConnection<byte[], byte[]> connection, String storeName) {
    this.connection = connection;
    this.storeName = storeName;
  }

  /**
   * A call that Redis did not answer in time. The script was sent and may have run, or may still
   * run: Redis runs one connection's commands in order, so the next call on this connection sees
   * what it did.
   */
  static final class TimedOut extends DedupStoreException {
    private static final long serialVersionUID = 1L;

    TimedOut(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Runs {@code script}.
   *
   * @param what the call, for the message
   * @throws TimedOut when Redis did not answer in time: the script may have run
   * @throws DedupStoreException when Redis fails the call otherwise; nothing was decided
   */
  List<Object> run(String what, Script script, byte[][] keys, byte[]... args) {
    RedisCommands<byte[], byte[]> commands = connection.sync();
    try {
      String sha = shas.get(script);
      try {
        return commands.evalsha(
            sha != null ? sha : load(script), ScriptOutputType.MULTI, keys, args);
      } catch (RedisNoScriptException e) {
        // The server lost its script cache (restart, SCRIPT FLUSH): load it again, once.
        return commands.evalsha(load(script), ScriptOutputType.MULTI, keys, args);
      }
    } catch (RedisCommandTimeoutException e) {
      throw new TimedOut(
          storeName
              + " could not "
              + what
              + " in time ("
              + e.getMessage()
              + "); it was sent and may have run",
          e);
    } catch (RedisException e) {
      throw new DedupStoreException(
          storeName
              + " could not "
              + what
              + " ("
              + e.getMessage()
              + "); nothing was decided for this call, retry it later",
          e);
    }
  }

  /**
   * Loads every script into the server's cache, so that a call that times out is the script itself,
   * not its loading.
   *
   * @throws RedisException when Redis cannot be reached
   */
  void loadAll() {
    for (Script script : Script.values()) {
      load(script);
    }
  }

  /**
   * Loads {@code script} into the server's cache.
   *
   * @throws RedisException when Redis cannot be reached
   */
  String load(Script script) {
    String sha = connection.sync().scriptLoad(script.source.getBytes(StandardCharsets.UTF_8));
    shas.put(script, sha);
    return sha;
  }
}
