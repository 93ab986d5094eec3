package dev.exactly.http;

import java.util.Optional;

/**
 * Reads an {@code Idempotency-Key} value: an RFC 8941 sf-string, {@code "..."} of printable ASCII
 * with {@code \"} and {@code \\} as the only escapes, at most {@value #MAX_LENGTH} characters once
 * unescaped.
 */
final class KeyHeader {
  static final int MAX_LENGTH = 255;

  private KeyHeader() {}

  /** The key, or empty when {@code value} is not a valid key; {@code why} gets the reason. */
  static Optional<String> parse(String value, StringBuilder why) {
    String v = value.strip();
    if (v.length() < 2 || v.charAt(0) != '"' || v.charAt(v.length() - 1) != '"') {
      why.append("must be a quoted structured-header string, e.g. Idempotency-Key: \"8e03978e\"");
      return Optional.empty();
    }
    StringBuilder key = new StringBuilder();
    for (int i = 1; i < v.length() - 1; i++) {
      char c = v.charAt(i);
      if (c == '\\') {
        if (i + 1 >= v.length() - 1 || (v.charAt(i + 1) != '"' && v.charAt(i + 1) != '\\')) {
          why.append("has a backslash not followed by \" or \\");
          return Optional.empty();
        }
        key.append(v.charAt(++i));
      } else if (c == '"') {
        why.append("has an unescaped quote inside the string");
        return Optional.empty();
      } else if (c < 0x20 || c > 0x7e) {
        why.append("holds a character outside printable ASCII");
        return Optional.empty();
      } else {
        key.append(c);
      }
    }
    if (key.length() == 0) {
      why.append("is empty");
      return Optional.empty();
    }
    if (key.length() > MAX_LENGTH) {
      why.append("is ")
          .append(key.length())
          .append(" characters long; at most ")
          .append(MAX_LENGTH);
      return Optional.empty();
    }
    return Optional.of(key.toString());
  }
}
