package dev.exactly.dedup;

import dev.exactly.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * How an {@link IdempotentConsumer} names a record's effect: two records with the same dedup key
 * are one effect, and the second is skipped. Choose a key that the producer of the data gives again
 * on a retry (an order id, a request id): {@link #topicPartitionOffset()} only catches redelivery
 * of the same record, not a producer that sends the same request twice.
 *
 * <p>A dead letter keeps its record's key, value and headers, so a record re-driven from the
 * dead-letter topic gets the dedup key of its original from every function here, and runs only if
 * the original never took effect.
 *
 * <p>A function that throws, or returns null or an empty string, sends the record to the
 * dead-letter topic: a record without a key cannot be deduplicated.
 */
@FunctionalInterface
public interface DedupKey {

  /** The record's key for the dedup store; called on the consumer's thread. */
  String keyOf(ConsumerRecord<?, ?> record);

  /** The UTF-8 value of the header {@code name} (its last occurrence). */
  static DedupKey header(String name) {
    Objects.requireNonNull(name, "name");
    return record -> {
      Header h = record.headers().lastHeader(name);
      if (h == null || h.value() == null) {
        throw new IllegalArgumentException("no header " + name + " for the dedup key");
      }
      return new String(h.value(), StandardCharsets.UTF_8);
    };
  }

  /**
   * The record key as text; a {@code byte[]} key in Base64, so different keys stay different
   * whatever their bytes.
   */
  static DedupKey recordKey() {
    return record -> {
      Object key = record.key();
      if (key == null) {
        throw new IllegalArgumentException("the record has no key for the dedup key");
      }
      return key instanceof byte[] b ? Base64.getEncoder().encodeToString(b) : key.toString();
    };
  }

  /**
   * A field of a JSON value, by JSON Pointer (RFC 6901), such as {@code /orderId} or {@code
   * /order/lines/0/id}. The value must be deserialized as a {@code String} or {@code byte[]} (UTF-8
   * JSON); the field must be a string or a number, whose text becomes the key. Parsed by a small
   * parser of Exactly's own, so the core needs no JSON library.
   *
   * @throws IllegalArgumentException at once when {@code pointer} is not a valid JSON Pointer
   */
  static DedupKey jsonPointer(String pointer) {
    JsonPointer p = JsonPointer.parse(pointer);
    return record -> {
      Object value = record.value();
      String json;
      if (value instanceof String s) {
        json = s;
      } else if (value instanceof byte[] b) {
        json = new String(b, StandardCharsets.UTF_8);
      } else {
        throw new IllegalArgumentException(
            "DedupKey.jsonPointer needs a String or byte[] value, got "
                + (value == null ? "null" : value.getClass().getName())
                + "; use StringDeserializer or ByteArrayDeserializer for the value");
      }
      return p.find(json);
    };
  }

  /**
   * A property of the deserialized value, such as an order id read by its getter: {@code
   * DedupKey.fromValue(Order.class, Order::id)}. The getter's result becomes the key by {@code
   * toString()}; a value of another type, a null value, or a getter that returns null sends the
   * record to the dead-letter topic.
   *
   * @param type the value's type, as the value deserializer produces it
   * @param getter reads the key from the value
   */
  static <V> DedupKey fromValue(Class<V> type, Function<? super V, ?> getter) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(getter, "getter");
    return record -> {
      Object value = record.value();
      if (!type.isInstance(value)) {
        throw new IllegalArgumentException(
            "the value is "
                + (value == null ? "null" : "a " + value.getClass().getName())
                + ", not a "
                + type.getName()
                + "; check the value deserializer given to input(..)");
      }
      Object key = getter.apply(type.cast(value));
      if (key == null) {
        throw new IllegalArgumentException("the getter returned null for the dedup key");
      }
      return key.toString();
    };
  }

  /**
   * {@code topic-partition@offset}: catches redelivery of the very same record only. A dead letter
   * re-driven into the input with its headers is keyed by its original record's {@link
   * DeadLetterHeaders#TOPIC}, {@link DeadLetterHeaders#PARTITION} and {@link
   * DeadLetterHeaders#OFFSET}: when the original took effect after all (its instance died between
   * the dead letter and the offset commit, and a later attempt succeeded), the re-drive is skipped
   * as its duplicate.
   */
  static DedupKey topicPartitionOffset() {
    return record -> {
      Headers h = record.headers();
      String topic = text(h, DeadLetterHeaders.TOPIC);
      String partition = text(h, DeadLetterHeaders.PARTITION);
      String offset = text(h, DeadLetterHeaders.OFFSET);
      if (topic != null && partition != null && offset != null) {
        return topic + "-" + partition + "@" + offset; // a dead letter re-driven: its original
      }
      return record.topic() + "-" + record.partition() + "@" + record.offset();
    };
  }

  private static String text(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
