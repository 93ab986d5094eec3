package dev.exactly.jdbc.internal;

import java.util.Objects;

/**
 * A column of a table Exactly creates, in portable terms; each {@link Dialect} maps the type to its
 * own SQL.
 *
 * @param name a valid SQL identifier (see {@link Dialect#checkIdentifier})
 * @param type the portable type
 * @param length the maximum length in characters, for {@link Type#KEY} and {@link Type#TEXT}; 0
 *     otherwise
 * @param nullable whether the column accepts NULL
 */
public record Column(String name, Type type, int length, boolean nullable) {

  /** Portable column types. */
  public enum Type {
    /**
     * A string compared byte for byte, for keys: case and trailing spaces matter, so two different
     * keys can never collide in a unique index.
     */
    KEY,
    /** A string for humans (messages, names); compared however the database likes. */
    TEXT,
    /** A 64-bit integer (offsets, epoch milliseconds). */
    BIGINT,
    /** A 32-bit integer. */
    INT,
    /** Bytes of any length up to a few megabytes (payloads, stored results). */
    BYTES,
    /** Text of any length up to a few megabytes (JSON documents), readable in SQL as a string. */
    DOCUMENT
  }

  public Column {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    if ((type == Type.KEY || type == Type.TEXT) && (length < 1 || length > 768)) {
      throw new IllegalArgumentException(
          "column " + name + ": length must be 1..768 characters, got " + length);
    }
  }

  public static Column key(String name, int length) {
    return new Column(name, Type.KEY, length, false);
  }

  public static Column text(String name, int length, boolean nullable) {
    return new Column(name, Type.TEXT, length, nullable);
  }

  public static Column bigint(String name, boolean nullable) {
    return new Column(name, Type.BIGINT, 0, nullable);
  }

  public static Column integer(String name, boolean nullable) {
    return new Column(name, Type.INT, 0, nullable);
  }

  public static Column bytes(String name, boolean nullable) {
    return new Column(name, Type.BYTES, 0, nullable);
  }

  public static Column document(String name, boolean nullable) {
    return new Column(name, Type.DOCUMENT, 0, nullable);
  }
}
