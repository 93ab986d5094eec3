package dev.exactly.testkit.check;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Where a record carries the id the checker matches inputs and effects by: the whole value, the
 * key, a header, or a field of a JSON value found by a JSON pointer (RFC 6901). Bytes are read as
 * UTF-8; a JSON field that is not text is taken as its JSON text ({@code 42}, {@code true}).
 *
 * <p>Written as {@code value}, {@code key}, {@code header:NAME} or {@code json:/pointer}; see
 * {@link #parse}. Immutable and thread-safe.
 */
public final class RecordId {
  private static final ObjectMapper JSON = new ObjectMapper();

  private enum Kind {
    VALUE,
    KEY,
    HEADER,
    JSON
  }

  private final Kind kind;
  private final String header;
  private final JsonPointer pointer;
  private final String spec;

  private RecordId(Kind kind, String header, JsonPointer pointer, String spec) {
    this.kind = kind;
    this.header = header;
    this.pointer = pointer;
    this.spec = spec;
  }

  /**
   * @param spec {@code value}, {@code key}, {@code header:NAME} or {@code json:/pointer}
   * @throws IllegalArgumentException naming the spec and the accepted forms
   */
  public static RecordId parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    if (spec.equals("value")) {
      return new RecordId(Kind.VALUE, null, null, spec);
    }
    if (spec.equals("key")) {
      return new RecordId(Kind.KEY, null, null, spec);
    }
    if (spec.startsWith("header:") && spec.length() > "header:".length()) {
      return new RecordId(Kind.HEADER, spec.substring("header:".length()), null, spec);
    }
    if (spec.startsWith("json:")) {
      String ptr = spec.substring("json:".length());
      try {
        if (ptr.startsWith("/")) {
          return new RecordId(Kind.JSON, null, JsonPointer.compile(ptr), spec);
        }
      } catch (IllegalArgumentException e) {
        // falls through to the message below, which says what a pointer looks like
      }
    }
    throw new IllegalArgumentException(
        "'"
            + spec
            + "' does not say where the id is; write value, key, header:NAME or json:/pointer"
            + " (a JSON pointer such as json:/order/id)");
  }

  /**
   * The record's id, or empty when the record has none there: a null value or key, no such header,
   * a value that is not JSON or has nothing at the pointer.
   */
  public Optional<String> of(ConsumerRecord<byte[], byte[]> record) {
    return switch (kind) {
      case VALUE -> text(record.value());
      case KEY -> text(record.key());
      case HEADER -> {
        Header h = record.headers().lastHeader(header);
        yield h == null ? Optional.empty() : text(h.value());
      }
      case JSON -> json(record.value());
    };
  }

  private Optional<String> json(byte[] value) {
    if (value == null) {
      return Optional.empty();
    }
    try {
      JsonNode node = JSON.readTree(value).at(pointer);
      if (node.isMissingNode() || node.isNull()) {
        return Optional.empty();
      }
      return Optional.of(node.isTextual() ? node.textValue() : node.toString());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> text(byte[] bytes) {
    return bytes == null
        ? Optional.empty()
        : Optional.of(new String(bytes, StandardCharsets.UTF_8));
  }

  /** The spec this was parsed from, such as {@code json:/order/id}. */
  @Override
  public String toString() {
    return spec;
  }
}
