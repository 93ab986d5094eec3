package dev.exactly.dedup;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds the text of one scalar in a JSON document by JSON Pointer (RFC 6901), scanning the text
 * once and skipping everything off the path. Only as much JSON as the path needs is checked;
 * malformed JSON on the path is refused, never guessed at.
 */
final class JsonPointer {
  private final String pointer;
  private final List<String> tokens;

  private JsonPointer(String pointer, List<String> tokens) {
    this.pointer = pointer;
    this.tokens = tokens;
  }

  static JsonPointer parse(String pointer) {
    if (pointer == null || pointer.isEmpty() || pointer.charAt(0) != '/') {
      throw new IllegalArgumentException(
          "a JSON Pointer to a field starts with '/', such as /orderId; got " + pointer);
    }
    List<String> tokens = new ArrayList<>();
    for (String raw : pointer.substring(1).split("/", -1)) {
      StringBuilder t = new StringBuilder();
      for (int i = 0; i < raw.length(); i++) {
        char c = raw.charAt(i);
        if (c == '~') {
          char n = i + 1 < raw.length() ? raw.charAt(i + 1) : ' ';
          if (n != '0' && n != '1') {
            throw new IllegalArgumentException(
                "bad escape in JSON Pointer " + pointer + ": '~' must be followed by 0 or 1");
          }
          t.append(n == '0' ? '~' : '/');
          i++;
        } else {
          t.append(c);
        }
      }
      tokens.add(t.toString());
    }
    return new JsonPointer(pointer, tokens);
  }

  /** The text of the string or number at the pointer. */
  String find(String json) {
    Scanner s = new Scanner(json);
    s.space();
    for (String token : tokens) {
      char c = s.peek();
      if (c == '{') {
        if (!s.enterMember(token)) {
          throw missing();
        }
      } else if (c == '[') {
        int index = arrayIndex(token);
        if (!s.enterElement(index)) {
          throw missing();
        }
      } else {
        throw missing();
      }
    }
    char c = s.peek();
    if (c == '"') {
      return s.string();
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      return s.number();
    }
    throw new IllegalArgumentException(
        "the JSON at " + pointer + " is not a string or a number; it cannot be a dedup key");
  }

  private int arrayIndex(String token) {
    if (!token.matches("0|[1-9][0-9]{0,8}")) {
      throw missing();
    }
    return Integer.parseInt(token);
  }

  private IllegalArgumentException missing() {
    return new IllegalArgumentException("the JSON value has nothing at " + pointer);
  }

  /** A cursor over JSON text. */
  private static final class Scanner {
    private final String s;
    private int i;

    Scanner(String s) {
      this.s = s;
    }

    char peek() {
      space();
      if (i >= s.length()) {
        throw bad("unexpected end");
      }
      return s.charAt(i);
    }

    void space() {
      while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
    }

    void expect(char c) {
      if (peek() != c) {
        throw bad("expected '" + c + "'");
      }
      i++;
    }

    /** At '{': moves to the value of member {@code name}; false when there is none. */
    boolean enterMember(String name) {
      expect('{');
      if (peek() == '}') {
        return false;
      }
      while (true) {
        if (peek() != '"') {
          throw bad("expected a member name");
        }
        String member = string();
        expect(':');
        if (member.equals(name)) {
          space();
          return true;
        }
        skipValue();
        char c = peek();
        i++;
        if (c == '}') {
          return false;
        }
        if (c != ',') {
          throw bad("expected ',' or '}'");
        }
      }
    }

    /** At '[': moves to element {@code index}; false when the array is shorter. */
    boolean enterElement(int index) {
      expect('[');
      if (peek() == ']') {
        return false;
      }
      for (int n = 0; ; n++) {
        if (n == index) {
          space();
          return true;
        }
        skipValue();
        char c = peek();
        i++;
        if (c == ']') {
          return false;
        }
        if (c != ',') {
          throw bad("expected ',' or ']'");
        }
      }
    }

    void skipValue() {
      char c = peek();
      switch (c) {
        case '"' -> string();
        case '{' -> {
          i++;
          if (peek() == '}') {
            i++;
            return;
          }
          while (true) {
            string();
            expect(':');
            skipValue();
            char d = peek();
            i++;
            if (d == '}') {
              return;
            }
            if (d != ',') {
              throw bad("expected ',' or '}'");
            }
          }
        }
        case '[' -> {
          i++;
          if (peek() == ']') {
            i++;
            return;
          }
          while (true) {
            skipValue();
            char d = peek();
            i++;
            if (d == ']') {
              return;
            }
            if (d != ',') {
              throw bad("expected ',' or ']'");
            }
          }
        }
        case 't' -> literal("true");
        case 'f' -> literal("false");
        case 'n' -> literal("null");
        default -> number();
      }
    }

    private void literal(String word) {
      if (!s.startsWith(word, i)) {
        throw bad("expected " + word);
      }
      i += word.length();
    }

    String number() {
      int start = i;
      if (i < s.length() && s.charAt(i) == '-') {
        i++;
      }
      while (i < s.length() && "0123456789.eE+-".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      String n = s.substring(start, i);
      if (!n.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
        throw bad("bad number '" + n + "'");
      }
      return n;
    }

    String string() {
      if (peek() != '"') {
        throw bad("expected a string");
      }
      i++;
      StringBuilder out = new StringBuilder();
      while (true) {
        if (i >= s.length()) {
          throw bad("unterminated string");
        }
        char c = s.charAt(i++);
        if (c == '"') {
          return out.toString();
        }
        if (c < 0x20) {
          throw bad("control character in a string");
        }
        if (c != '\\') {
          out.append(c);
          continue;
        }
        if (i >= s.length()) {
          throw bad("unterminated escape");
        }
        char e = s.charAt(i++);
        switch (e) {
          case '"', '\\', '/' -> out.append(e);
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> {
            if (i + 4 > s.length()) {
              throw bad("short \\u escape");
            }
            try {
              out.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            } catch (NumberFormatException x) {
              throw bad("bad \\u escape");
            }
            i += 4;
          }
          default -> throw bad("bad escape \\" + e);
        }
      }
    }

    private IllegalArgumentException bad(String what) {
      return new IllegalArgumentException("malformed JSON at character " + i + ": " + what);
    }
  }
}
