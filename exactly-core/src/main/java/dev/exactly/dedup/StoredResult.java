package dev.exactly.dedup;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * The small outcome of a completed effect (a payment id, a response body), stored with the key so
 * that a duplicate can answer with it instead of acting again. Immutable: the bytes are copied in
 * and out.
 */
public final class StoredResult {
  /** Results are kept beside every key for the whole retention: keep them small. */
  public static final int MAX_BYTES = 64 * 1024;

  private final byte[] bytes;

  private StoredResult(byte[] bytes) {
    if (bytes.length > MAX_BYTES) {
      throw new IllegalArgumentException(
          "a stored result holds at most " + MAX_BYTES + " bytes, got " + bytes.length);
    }
    this.bytes = bytes;
  }

  public static StoredResult of(byte[] bytes) {
    return new StoredResult(Objects.requireNonNull(bytes, "bytes").clone());
  }

  public static StoredResult ofUtf8(String text) {
    return new StoredResult(Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8));
  }

  /** A copy of the bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  public String utf8() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  public int size() {
    return bytes.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoredResult other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "StoredResult["
        + bytes.length
        + " bytes, base64 "
        + Base64.getEncoder().encodeToString(Arrays.copyOf(bytes, Math.min(bytes.length, 24)))
        + (bytes.length > 24 ? "...]" : "]");
  }
}
