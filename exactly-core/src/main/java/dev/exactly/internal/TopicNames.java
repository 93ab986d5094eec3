package dev.exactly.internal;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Suggests the existing topics a mistyped name was probably meant to be. */
public final class TopicNames {
  private static final int MAX_DISTANCE = 3;
  private static final int MAX_SUGGESTIONS = 3;

  private TopicNames() {}

  /**
   * Up to three of {@code existing} within three single-character edits of {@code name}, closest
   * first (ties by name, so the message is the same on every run). Internal topics (a leading
   * {@code __}) are left out: nobody means to consume them.
   */
  public static List<String> closest(String name, Collection<String> existing) {
    return existing.stream()
        .filter(t -> !t.startsWith("__") && !t.equals(name))
        .map(t -> new Scored(t, distance(name, t)))
        .filter(s -> s.distance <= MAX_DISTANCE)
        .sorted(Comparator.comparingInt(Scored::distance).thenComparing(Scored::topic))
        .limit(MAX_SUGGESTIONS)
        .map(Scored::topic)
        .toList();
  }

  /** Levenshtein distance: insertions, deletions and substitutions. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  private record Scored(String topic, int distance) {}
}
