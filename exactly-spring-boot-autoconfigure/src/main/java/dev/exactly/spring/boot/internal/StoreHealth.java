package dev.exactly.spring.boot.internal;

import dev.exactly.Component;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotentConsumer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The health of an idempotent consumer's dedup store, from one {@link DedupStore#ping} made when
 * asked (nothing cached): {@code UP}, {@code DOWN} with the store's message, or {@code UNKNOWN} for
 * a store that does not implement ping. Shared by the {@code exactly} endpoint and the health
 * indicators, so both say the same.
 *
 * @param error why it is DOWN or UNKNOWN, without stack trace or credentials; null when UP
 */
public record StoreHealth(String name, Status status, String error) {
  /** How long one probe waits for the store's answer. */
  public static final Duration TIMEOUT = Duration.ofSeconds(2);

  /** The store's answer to a ping. */
  public enum Status {
    UP,
    DOWN,
    UNKNOWN
  }

  // key=value and user:password@ forms, as JDBC and Redis URLs carry them in driver messages.
  private static final Pattern SECRET =
      Pattern.compile("(?i)((?:password|passwd|pwd|secret)\\s*[=:]\\s*)[^;&,\\s)]+");
  private static final Pattern USER_INFO = Pattern.compile("(//[^/:@\\s]*:)[^@/\\s]+@");

  /** The store of {@code component} when it is an idempotent consumer, probed now; else empty. */
  public static Optional<StoreHealth> of(Component component) {
    if (component instanceof IdempotentConsumer c) {
      return Optional.of(probe(c.store()));
    }
    return Optional.empty();
  }

  /** Pings {@code store} once, for at most {@link #TIMEOUT}. */
  public static StoreHealth probe(DedupStore store) {
    String name = store.name();
    try {
      store.ping(TIMEOUT);
      return new StoreHealth(name, Status.UP, null);
    } catch (UnsupportedOperationException e) {
      return new StoreHealth(name, Status.UNKNOWN, masked(e.getMessage()));
    } catch (RuntimeException e) {
      String message = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
      return new StoreHealth(name, Status.DOWN, masked(message));
    }
  }

  static String masked(String message) {
    String m = SECRET.matcher(message).replaceAll("$1****");
    return USER_INFO.matcher(m).replaceAll("$1****@");
  }

  /** As the endpoint and the health details show it: name, status, and error when there is one. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("status", status.name());
    if (error != null) {
      m.put("error", error);
    }
    return m;
  }
}
