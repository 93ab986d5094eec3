package dev.exactly.redis;

import dev.exactly.dedup.DedupStoreException;
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
 * The three Lua scripts that decide claims, completions and releases atomically on the server, and
 * running them by SHA, loading a script again when the server has lost it.
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

  private static final String RELEASE =
      """
      for i = 1, #KEYS do
        if redis.call('GET', KEYS[i]) == ARGV[i] then
          redis.call('DEL', KEYS[i])
        end
      end
      return 0
      """;

  /** The scripts, by the call they serve. */
  enum Script {
    CLAIM(RedisScripts.CLAIM),
    COMPLETE(RedisScripts.COMPLETE),
    RELEASE(RedisScripts.RELEASE);

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
   * Runs {@code script}.
   *
   * @param what the call, for the message
   * @throws DedupStoreException when Redis fails the call; nothing was decided
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
