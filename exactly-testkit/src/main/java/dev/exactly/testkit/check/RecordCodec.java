package dev.exactly.testkit.check;

import java.nio.charset.StandardCharsets;

/**
 * How check inputs and outputs look on a Kafka topic, as UTF-8 text with {@code |} separators.
 *
 * <ul>
 *   <li>input value: {@code id|key|sequence|payload} (the record key is the input's key, so one key
 *       lives in one partition)
 *   <li>output value: {@code attemptId|id|key|sequence}, where the attempt id names the processing
 *       attempt (instance, start, batch) that wrote it
 * </ul>
 *
 * Ids, keys and attempt ids must not contain {@code |}.
 */
public final class RecordCodec {
  private RecordCodec() {}

  /** An output's input and the attempt that wrote it. */
  public record Output(String attemptId, Input input) {}

  public static byte[] encodeInput(Input input, String payload) {
    return (input.id() + "|" + input.key() + "|" + input.sequence() + "|" + payload)
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * @throws IllegalArgumentException when the bytes are not an encoded input
   */
  public static Input decodeInput(byte[] value) {
    String[] parts = split(value, 4);
    return new Input(parts[0], parts[1], Long.parseLong(parts[2]));
  }

  public static byte[] encodeOutput(Input input, String attemptId) {
    if (attemptId.contains("|")) {
      throw new IllegalArgumentException("attempt id must not contain '|': " + attemptId);
    }
    return (attemptId + "|" + input.id() + "|" + input.key() + "|" + input.sequence())
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * @throws IllegalArgumentException when the bytes are not an encoded output
   */
  public static Output decodeOutput(byte[] value) {
    String[] parts = split(value, 4);
    return new Output(parts[0], new Input(parts[1], parts[2], Long.parseLong(parts[3])));
  }

  private static String[] split(byte[] value, int fields) {
    if (value == null) {
      throw new IllegalArgumentException("null value is not an encoded check record");
    }
    String text = new String(value, StandardCharsets.UTF_8);
    String[] parts = text.split("\\|", fields);
    if (parts.length < fields) {
      throw new IllegalArgumentException(
          "expected " + fields + " '|'-separated fields, got: " + abbreviate(text));
    }
    return parts;
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
