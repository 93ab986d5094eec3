package dev.exactly.cli;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * A record value read as a JSON document and the key found in it by a JSON Pointer.
 *
 * @param key the value at the pointer, as text
 * @param json the document as received
 */
record JsonDocument(String key, String json) {
  /** Keys longer than this are refused: the key column is a {@code VARCHAR} of this length. */
  static final int MAX_KEY_LENGTH = 255;

  /**
   * Reads values as JSON documents keyed by {@code pointer}. A value it cannot use throws a {@link
   * SerializationException} whose message is the reason, so the sink sends the record to its
   * dead-letter topic (reason {@code deserialization}) without trying it against the database.
   */
  static Deserializer<JsonDocument> deserializer(JsonPointer pointer) {
    ObjectMapper mapper = new ObjectMapper();
    return (topic, data) -> {
      if (data == null) {
        throw new SerializationException(
            "the value is null (a tombstone); exactly sink upserts documents and deletes nothing");
      }
      String json = new String(data, StandardCharsets.UTF_8);
      JsonNode root;
      try {
        root = mapper.readTree(data);
      } catch (JsonProcessingException e) {
        throw new SerializationException("the value is not JSON: " + e.getOriginalMessage());
      } catch (IOException e) {
        throw new SerializationException("the value cannot be read: " + e.getMessage());
      }
      if (root == null || root.isMissingNode()) {
        throw new SerializationException("the value is empty, not a JSON document");
      }
      JsonNode at = root.at(pointer);
      if (at.isMissingNode() || at.isNull()) {
        throw new SerializationException("the value has no key at " + pointer);
      }
      if (!at.isValueNode()) {
        throw new SerializationException(
            "the key at " + pointer + " is " + at.getNodeType() + ", not a string or a number");
      }
      String key = at.asText();
      if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
        throw new SerializationException(
            "the key at "
                + pointer
                + " has "
                + key.length()
                + " characters; keys need 1 to "
                + MAX_KEY_LENGTH);
      }
      return new JsonDocument(key, json);
    };
  }
}
