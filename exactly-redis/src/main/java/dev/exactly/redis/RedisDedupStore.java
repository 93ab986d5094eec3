package dev.exactly.redis;

import dev.exactly.Ticker;
import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.DedupStoreException;
import dev.exactly.dedup.StoredResult;
import dev.exactly.internal.DedupKeys;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link DedupStore} in Redis, one string per key, through Lettuce.
 *
 * <p><b>How a claim is decided.</b> One Lua script per batch runs {@code SET key value NX PX lease}
 * for every key and returns, for each key it did not set, the stored value and its remaining time.
 * Redis runs a script atomically, so of concurrent callers exactly one sets a key. Expired claims
 * and completions disappear by themselves ({@code PX}), so they count as absent with no extra step
 * and {@link #purgeExpired()} has nothing to do.
 *
 * <p><b>Time.</b> Leases and retention run on the Redis server's clock, the one clock every
 * instance shares; no client clock is involved, so client clock skew cannot shorten a lease. (The
 * lease expiry this store reports is the {@link Builder#ticker ticker}'s time plus the remaining
 * time Redis gave.)
 *
 * <p>A value holds the claim's token ({@code C} + token, or {@code D} + token + result once done),
 * so complete, extend and release, also scripts, act only on this caller's own claim. All keys of a
 * batch go to one server: use a single Redis or a primary with replicas, not Redis Cluster.
 *
 * <p><b>Keeping completed keys.</b> A completed key forgotten by the server (a restart without an
 * append-only log, an eviction) lets its effect run again on redelivery. At start the store reads
 * the server's persistence and eviction settings and warns about those that can forget keys, or
 * refuses to start with {@link Builder#requireDurableServer}.
 *
 * <p><b>Timeouts.</b> A claim or complete that times out on the client may still run on the server;
 * the store then reads its keys back on the same connection, after the script, and reports what
 * Redis holds instead of "nothing decided".
 *
 * <p>Thread-safe: Lettuce connections are; calls from several threads are pipelined on one
 * connection.
 */
public final class RedisDedupStore implements DedupStore {
  private static final int TOKEN_LENGTH = 36;

  private final RedisClient ownedClient;
  private final StatefulRedisConnection<byte[], byte[]> connection;
  private final boolean ownsConnection;
  private final byte[] prefix;
  private final String where;
  private final RedisScripts scripts;
  private final Ticker ticker;

  private RedisDedupStore(
      RedisClient ownedClient,
      StatefulRedisConnection<byte[], byte[]> connection,
      boolean ownsConnection,
      String prefix,
      String where,
      Ticker ticker) {
    this.ownedClient = ownedClient;
    this.connection = connection;
    this.ownsConnection = ownsConnection;
    this.prefix = prefix.getBytes(StandardCharsets.UTF_8);
    this.where = where;
    this.scripts = new RedisScripts(connection, "dedup store redis:" + where);
    this.ticker = ticker;
  }

  /** A store on {@code redisUri}, such as {@code redis://127.0.0.1:6379}. */
  public static Builder builder(String redisUri) {
    return new Builder(Objects.requireNonNull(redisUri, "redisUri"), null);
  }

  /** A store on the caller's connection, which the caller keeps and closes. */
  public static Builder builder(StatefulRedisConnection<byte[], byte[]> connection) {
    return new Builder(null, Objects.requireNonNull(connection, "connection"));
  }

  @Override
  public Map<String, Claim> claim(Collection<String> keys, Duration lease) {
    requirePositive(lease, "lease");
    List<String> distinct = DedupKeys.distinct(keys);
    Map<String, Claim> out = new LinkedHashMap<>();
    if (distinct.isEmpty()) {
      return out;
    }
    String token = UUID.randomUUID().toString();
    byte[][] redisKeys = redisKeys(distinct);
    long now = ticker.millis();
    byte[] claimValue = utf8("C" + token);
    List<Object> answers;
    try {
      answers =
          scripts.run(
              "claim",
              RedisScripts.Script.CLAIM,
              redisKeys,
              claimValue,
              utf8(Long.toString(lease.toMillis())));
    } catch (RedisScripts.TimedOut e) {
      // The script may have run: answer from what it left, so a claim made is used, not orphaned.
      answers = ReadBack.claims(scripts, name(), redisKeys, claimValue, e);
    }
    for (int i = 0; i < distinct.size(); i++) {
      String key = distinct.get(i);
      List<?> a = (List<?>) answers.get(i);
      if (((Long) a.get(0)) == 1L) {
        out.put(key, new Claim.Claimed(key, token, Instant.ofEpochMilli(now + lease.toMillis())));
        continue;
      }
      long ttl = (Long) a.get(1);
      Object value = a.size() > 2 ? a.get(2) : null;
      out.put(key, answer(key, value, ttl, now));
    }
    return out;
  }

  private static Claim answer(String key, Object value, long ttl, long now) {
    byte[] v = value instanceof byte[] b ? b : new byte[0];
    if (v.length > 0 && v[0] == 'D') {
      Optional<StoredResult> result =
          hasResult(v)
              ? Optional.of(StoredResult.of(Arrays.copyOfRange(v, 2 + TOKEN_LENGTH, v.length)))
              : Optional.empty();
      return new Claim.Done(key, result);
    }
    // Another caller's claim; a key that expired between SET and GET is retried at once.
    return new Claim.InFlight(key, Instant.ofEpochMilli(now + Math.max(0, ttl)));
  }

  /** After "D" and the token, a done value holds "-" (no result) or "+" and the result. */
  private static boolean hasResult(byte[] v) {
    return v.length > 1 + TOKEN_LENGTH && v[1 + TOKEN_LENGTH] == '+';
  }

  @Override
  public Set<String> complete(
      Collection<Claim.Claimed> claims, Duration retention, Map<String, StoredResult> results) {
    requirePositive(retention, "retention");
    Objects.requireNonNull(results, "results");
    List<Claim.Claimed> list = new ArrayList<>(claims);
    if (list.isEmpty()) {
      return Set.of();
    }
    byte[][] keys = new byte[list.size()][];
    byte[][] args = new byte[1 + 2 * list.size()][];
    args[0] = utf8(Long.toString(retention.toMillis()));
    for (int i = 0; i < list.size(); i++) {
      Claim.Claimed c = list.get(i);
      keys[i] = redisKey(c.key());
      args[1 + 2 * i] = utf8("C" + c.token());
      args[2 + 2 * i] = doneValue(c.token(), results.get(c.key()));
    }
    List<Object> lost;
    try {
      lost = scripts.run("complete", RedisScripts.Script.COMPLETE, keys, args);
    } catch (RedisScripts.TimedOut e) {
      return ReadBack.lostCompletions(scripts, name(), list, keys, args, e);
    }
    return keysOf(lost);
  }

  private static byte[] doneValue(String token, StoredResult result) {
    byte[] head = utf8("D" + token + (result == null ? "-" : "+"));
    if (result == null) {
      return head;
    }
    byte[] r = result.bytes();
    byte[] v = Arrays.copyOf(head, head.length + r.length);
    System.arraycopy(r, 0, v, head.length, r.length);
    return v;
  }

  /**
   * One script: {@code PEXPIRE} on every key still holding its claim value. A call that times out
   * throws; nothing is lost by it, as a renewal is tried again well within the lease.
   */
  @Override
  public Set<String> extend(Collection<Claim.Claimed> claims, Duration lease) {
    requirePositive(lease, "lease");
    List<Claim.Claimed> list = new ArrayList<>(claims);
    if (list.isEmpty()) {
      return Set.of();
    }
    byte[][] keys = new byte[list.size()][];
    byte[][] args = new byte[1 + list.size()][];
    args[0] = utf8(Long.toString(lease.toMillis()));
    for (int i = 0; i < list.size(); i++) {
      keys[i] = redisKey(list.get(i).key());
      args[1 + i] = utf8("C" + list.get(i).token());
    }
    return keysOf(scripts.run("extend", RedisScripts.Script.EXTEND, keys, args));
  }

  private Set<String> keysOf(List<Object> redisKeys) {
    Set<String> out = new HashSet<>();
    for (Object k : redisKeys) {
      byte[] b = (byte[]) k;
      out.add(new String(b, prefix.length, b.length - prefix.length, StandardCharsets.UTF_8));
    }
    return out;
  }

  @Override
  public void release(Collection<Claim.Claimed> claims) {
    List<Claim.Claimed> list = new ArrayList<>(claims);
    if (list.isEmpty()) {
      return;
    }
    byte[][] keys = new byte[list.size()][];
    byte[][] args = new byte[list.size()][];
    for (int i = 0; i < list.size(); i++) {
      keys[i] = redisKey(list.get(i).key());
      args[i] = utf8("C" + list.get(i).token());
    }
    scripts.run("release", RedisScripts.Script.RELEASE, keys, args);
  }

  /** Redis expires entries by itself ({@code PX}); nothing is left to purge. */
  @Override
  public int purgeExpired() {
    return 0;
  }

  /**
   * Sends {@code PING} on the store's connection and waits at most {@code timeout} for {@code
   * PONG}; not retried. A disconnected connection fails at once (commands are rejected, not queued
   * until it reconnects).
   */
  @Override
  public void ping(Duration timeout) {
    requirePositive(timeout, "timeout");
    String answer;
    try {
      answer = connection.async().ping().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new DedupStoreException(
          "dedup store " + name() + " did not answer a ping within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DedupStoreException("interrupted while pinging dedup store " + name(), e);
    } catch (ExecutionException e) {
      throw new DedupStoreException(
          "dedup store " + name() + " did not answer a ping: " + e.getCause().getMessage(), e);
    } catch (RuntimeException e) {
      // RedisException, or Lettuce's IllegalStateException once the store was closed.
      throw new DedupStoreException(
          "dedup store " + name() + " did not answer a ping: " + e.getMessage(), e);
    }
    if (!"PONG".equals(answer)) {
      throw new DedupStoreException(
          "dedup store " + name() + " answered a ping with " + answer + ", not PONG");
    }
  }

  @Override
  public String name() {
    return "redis:" + where;
  }

  @Override
  public void close() {
    if (ownsConnection) {
      connection.close();
      ownedClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  private byte[][] redisKeys(List<String> keys) {
    byte[][] out = new byte[keys.size()][];
    for (int i = 0; i < keys.size(); i++) {
      out[i] = redisKey(keys.get(i));
    }
    return out;
  }

  private byte[] redisKey(String key) {
    byte[] k = utf8(key);
    byte[] out = Arrays.copyOf(prefix, prefix.length + k.length);
    System.arraycopy(k, 0, out, prefix.length, k.length);
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void requirePositive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }

  /** Builds a store; {@link #build()} connects and loads the scripts. */
  public static final class Builder {
    private final String uri;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private String keyPrefix = "exactly:dedup:";
    private Duration timeout = Duration.ofSeconds(5);
    private Ticker ticker = Ticker.system();
    private boolean requireDurableServer;

    private Builder(String uri, StatefulRedisConnection<byte[], byte[]> connection) {
      this.uri = uri;
      this.connection = connection;
    }

    /**
     * Put before every key, to share a Redis with other data; default {@code exactly:dedup:}.
     * Called twice, the last value wins.
     */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
      return this;
    }

    /**
     * How long one call may take before it fails; default 5 s. Ignored for a given connection.
     * Called twice, the last value wins.
     */
    public Builder timeout(Duration timeout) {
      requirePositive(timeout, "redis.timeout");
      this.timeout = timeout;
      return this;
    }

    /**
     * The clock the lease ends this store reports are read on; default {@link Ticker#system()}.
     * Leases and retention themselves run on the Redis server's clock. Called twice, the last value
     * wins.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Whether to refuse to start on a server that can forget a completed key before its retention
     * ends; default {@code false}: such a server is named in a warning at start. Read from {@code
     * CONFIG GET}: {@code appendonly no}, {@code appendfsync no}, or a {@code maxmemory-policy}
     * other than {@code noeviction} (every dedup key has a time to live, so {@code volatile-*}
     * policies evict them as well as {@code allkeys-*}). Where CONFIG is refused (managed Redis),
     * the settings cannot be checked: the warning says so, and this setting refuses to start.
     * Called twice, the last value wins.
     */
    public Builder requireDurableServer(boolean requireDurableServer) {
      this.requireDurableServer = requireDurableServer;
      return this;
    }

    /**
     * @throws DedupStoreException when Redis cannot be reached
     * @throws dev.exactly.ConfigurationException when {@link #requireDurableServer} is on and the
     *     server can forget completed keys, naming the setting, its value and the fix
     */
    public RedisDedupStore build() {
      if (connection != null) {
        RedisDedupStore store =
            new RedisDedupStore(null, connection, false, keyPrefix, "given connection", ticker);
        store.scripts.loadAll();
        ServerDurability.check(connection.sync(), "given connection", requireDurableServer);
        return store;
      }
      RedisURI redisUri = RedisURI.create(uri);
      redisUri.setTimeout(timeout);
      RedisClient client = RedisClient.create(redisUri);
      // A down server fails calls at once instead of queueing them until the timeout.
      client.setOptions(
          ClientOptions.builder()
              .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
              .build());
      String where = redisUri.getHost() + ":" + redisUri.getPort();
      try {
        StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
        RedisDedupStore store = new RedisDedupStore(client, c, true, keyPrefix, where, ticker);
        store.scripts.loadAll();
        try {
          ServerDurability.check(c.sync(), where, requireDurableServer);
        } catch (RuntimeException e) {
          store.close();
          throw e;
        }
        return store;
      } catch (RedisException e) {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        throw new DedupStoreException(
            "cannot connect the dedup store to Redis at "
                + where
                + " ("
                + e.getMessage()
                + "); check that it runs and the URI is right",
            e);
      }
    }
  }
}
