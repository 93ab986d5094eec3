package dev.exactly.dedup;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/** Checks and de-duplicates the keys of a call, for every store. */
final class Keys {
  private Keys() {}

  static List<String> distinct(Collection<String> keys) {
    Objects.requireNonNull(keys, "keys");
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String key : keys) {
      check(key);
      out.add(key);
    }
    return new ArrayList<>(out);
  }

  static void check(String key) {
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
