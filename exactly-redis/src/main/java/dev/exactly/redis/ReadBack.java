package dev.exactly.redis;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.DedupStoreException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a claim or complete that timed out on the client did on the server. The keys are read back
 * on the same connection, and Redis runs one connection's commands in order, so the read sees what
 * the timed-out script left, whether it ran before the client gave up or after.
 */
final class ReadBack {
  private ReadBack() {}

  /**
   * The claim script's answer rebuilt from the keys: {@code {1}} for a key holding {@code
   * claimValue} (this call's claim), else {@code {0, remaining ms, value}}.
   */
  static List<Object> claims(
      RedisScripts scripts,
      String store,
      byte[][] keys,
      byte[] claimValue,
      RedisScripts.TimedOut timedOut) {
    List<Object> read = read(scripts, store, "claim", keys, timedOut);
    List<Object> answers = new ArrayList<>(read.size());
    for (Object o : read) {
      List<?> a = (List<?>) o;
      Object value = a.size() > 1 ? a.get(1) : null;
      answers.add(
          value instanceof byte[] b && Arrays.equals(b, claimValue)
              ? List.of(1L)
              : Arrays.asList(0L, a.get(0), value));
    }
    return answers;
  }

  /**
   * The keys of {@code claims} that a complete did not mark: those not holding its done value
   * ({@code args[2 + 2i]}). A key still holding this caller's claim ({@code args[1 + 2i]}) means
   * the script has not run, which the ordered read rules out; it is reported as nothing decided.
   */
  static Set<String> lostCompletions(
      RedisScripts scripts,
      String store,
      List<Claim.Claimed> claims,
      byte[][] keys,
      byte[][] args,
      RedisScripts.TimedOut timedOut) {
    List<Object> read = read(scripts, store, "complete", keys, timedOut);
    Set<String> lost = new HashSet<>();
    for (int i = 0; i < claims.size(); i++) {
      List<?> a = (List<?>) read.get(i);
      byte[] value = a.size() > 1 && a.get(1) instanceof byte[] b ? b : null;
      if (Arrays.equals(value, args[1 + 2 * i])) {
        throw new DedupStoreException(
            "dedup store "
                + store
                + " could not complete: "
                + timedOut.getMessage()
                + ", and key "
                + claims.get(i).key()
                + " still holds this claim; nothing was decided, retry it",
            timedOut);
      }
      if (!Arrays.equals(value, args[2 + 2 * i])) {
        lost.add(claims.get(i).key());
      }
    }
    return lost;
  }

  /**
   * Per key, its remaining time in ms and its value.
   *
   * @throws DedupStoreException when the read fails too: the call may or may not have taken effect;
   *     a claim made so ends with its lease, a completion made so stands
   */
  private static List<Object> read(
      RedisScripts scripts,
      String store,
      String what,
      byte[][] keys,
      RedisScripts.TimedOut timedOut) {
    try {
      return scripts.run("read back after a timed-out " + what, RedisScripts.Script.READ, keys);
    } catch (DedupStoreException e) {
      timedOut.addSuppressed(e);
      throw new DedupStoreException(
          "dedup store "
              + store
              + " could not "
              + what
              + " in time, nor read the keys back ("
              + e.getMessage()
              + "); the call may have taken effect: a claim made so ends with its lease, a"
              + " completion made so stands. Retry the call later",
          timedOut);
    }
  }
}
