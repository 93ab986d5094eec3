package dev.exactly.internal;

import dev.exactly.dedup.DedupStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/** Checks and de-duplicates the keys of a store call, the same for every store. */
public final class DedupKeys {
  private DedupKeys() {}

  /** The keys in their first order without repeats; each checked as {@link #check} does. */
  public static List<String> distinct(Collection<String> keys) {
    Objects.requireNonNull(keys, "keys");
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String key : keys) {
      check(key);
      out.add(key);
    }
    return new ArrayList<>(out);
  }

  /**
   * @throws IllegalArgumentException if {@code key} is empty or longer than {@link
   *     DedupStore#MAX_KEY_LENGTH}
   */
  public static void check(String key) {
    Objects.requireNonNull(key, "a dedup key is null");
    if (key.isEmpty() || key.length() > DedupStore.MAX_KEY_LENGTH) {
      throw new IllegalArgumentException(
          "a dedup key must have 1.."
              + DedupStore.MAX_KEY_LENGTH
              + " characters, got "
              + key.length());
    }
  }
}
