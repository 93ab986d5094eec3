package dev.exactly.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Typed JSON serializers and deserializers for Kafka records, through Jackson.
 *
 * <pre>{@code
 * .input("orders", new StringDeserializer(), JsonSerde.deserializer(Order.class))
 * .dedupKey(DedupKey.fromValue(Order.class, Order::id))
 * }</pre>
 *
 * <p>A value that does not parse as the type throws Kafka's {@link SerializationException}, naming
 * the topic, the type and where the text went wrong: every Exactly component then sends the record
 * to its dead-letter topic with reason {@code deserialization} and moves on, instead of blocking
 * its partition. A null value (a tombstone) reads as null and writes as null.
 *
 * <p>The default mapper ignores properties the type does not know, so a producer that adds a field
 * does not send every record to the dead-letter topic; pass your own {@link ObjectMapper} for other
 * rules. Mappers are thread-safe once configured; the returned objects are too.
 */
public final class JsonSerde {
  private static final ObjectMapper DEFAULT =
      JsonMapper.builder()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .findAndAddModules()
          .build();

  private JsonSerde() {}

  /** Writes any value as JSON with the default mapper. */
  public static <T> Serializer<T> serializer() {
    return serializer(DEFAULT);
  }

  /** Writes any value as JSON with {@code mapper}. */
  public static <T> Serializer<T> serializer(ObjectMapper mapper) {
    Objects.requireNonNull(mapper, "mapper");
    return (topic, value) -> {
      if (value == null) {
        return null;
      }
      try {
        return mapper.writeValueAsBytes(value);
      } catch (JsonProcessingException e) {
        throw new SerializationException(
            "cannot write a " + value.getClass().getName() + " as JSON for " + topic, e);
      }
    };
  }

  /** Reads values as {@code type} with the default mapper. */
  public static <T> Deserializer<T> deserializer(Class<T> type) {
    return deserializer(DEFAULT, type);
  }

  /** Reads values as {@code type} with {@code mapper}. */
  public static <T> Deserializer<T> deserializer(ObjectMapper mapper, Class<T> type) {
    Objects.requireNonNull(type, "type");
    return reader(mapper, mapper.constructType(type));
  }

  /** Reads values as a generic type, such as {@code new TypeReference<List<Order>>() {}}. */
  public static <T> Deserializer<T> deserializer(TypeReference<T> type) {
    return deserializer(DEFAULT, type);
  }

  /** Reads values as a generic type with {@code mapper}. */
  public static <T> Deserializer<T> deserializer(ObjectMapper mapper, TypeReference<T> type) {
    Objects.requireNonNull(type, "type");
    return reader(mapper, mapper.constructType(type));
  }

  private static <T> Deserializer<T> reader(ObjectMapper mapper, JavaType type) {
    Objects.requireNonNull(mapper, "mapper");
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        return mapper.readValue(bytes, type);
      } catch (IOException e) {
        throw new SerializationException(
            "the value in "
                + topic
                + " is not a JSON "
                + type.toCanonical()
                + ": "
                + e.getMessage(),
            e);
      }
    };
  }
}
