package dev.exactly.internal;

import dev.exactly.DeadLetterHeaders;
import dev.exactly.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds every dead-letter record Exactly writes, so that each one carries every header {@link
 * DeadLetterHeaders} promises, whichever engine gave the record up.
 *
 * <p>The dead letter keeps the original key, value and headers. Its own timestamp is left to the
 * producer (the time it was given up), so the dead-letter topic's retention counts from then; the
 * original timestamp travels in {@link DeadLetterHeaders#TIMESTAMP}.
 */
public final class DeadLetters {
  private DeadLetters() {}

  /**
   * The dead letter for a record consumed from Kafka.
   *
   * @param error the failure the user should see (the engine's own wrappers already removed)
   * @param attempts how many times the record was tried; at least 1 (a record that could not be
   *     deserialized was tried once)
   */
  public static ProducerRecord<byte[], byte[]> ofRecord(
      String deadLetterTopic,
      ConsumerRecord<byte[], byte[]> raw,
      DeadLetterReason reason,
      Throwable error,
      int attempts) {
    Headers headers = new RecordHeaders(raw.headers().toArray());
    put(headers, DeadLetterHeaders.TOPIC, raw.topic());
    put(headers, DeadLetterHeaders.PARTITION, Integer.toString(raw.partition()));
    put(headers, DeadLetterHeaders.OFFSET, Long.toString(raw.offset()));
    put(headers, DeadLetterHeaders.TIMESTAMP, Long.toString(raw.timestamp()));
    why(headers, reason, error, attempts);
    return new ProducerRecord<>(deadLetterTopic, null, raw.key(), raw.value(), headers);
  }

  /**
   * The dead letter for an outbox row the relay could not publish.
   *
   * @param createdMillis when the row was written, in epoch milliseconds
   */
  public static ProducerRecord<byte[], byte[]> ofOutboxRow(
      String deadLetterTopic,
      long rowId,
      String destinationTopic,
      byte[] key,
      byte[] value,
      Headers rowHeaders,
      long createdMillis,
      DeadLetterReason reason,
      Throwable error,
      int attempts) {
    Headers headers = new RecordHeaders(rowHeaders.toArray());
    put(headers, DeadLetterHeaders.OUTBOX_ID, Long.toString(rowId));
    put(headers, DeadLetterHeaders.DESTINATION_TOPIC, destinationTopic);
    put(headers, DeadLetterHeaders.TIMESTAMP, Long.toString(createdMillis));
    why(headers, reason, error, attempts);
    return new ProducerRecord<>(deadLetterTopic, null, key, value, headers);
  }

  /**
   * Properties for a dead-letter producer that stands beside a user's consumer (DB sink, idempotent
   * consumer): the user's connection and security settings, idempotent, {@code acks=all}, never
   * transactional.
   */
  public static Map<String, Object> producerProperties(
      Map<String, ?> userProperties, String clientId) {
    Map<String, Object> p = KafkaSettings.forOtherClient(userProperties);
    p.keySet().retainAll(ProducerConfig.configNames());
    p.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    p.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
    p.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    return p;
  }

  private static void why(Headers headers, DeadLetterReason reason, Throwable error, int attempts) {
    if (attempts < 1) {
      throw new IllegalArgumentException("a dead letter was tried at least once, got " + attempts);
    }
    put(headers, DeadLetterHeaders.EXCEPTION_CLASS, error.getClass().getName());
    put(
        headers,
        DeadLetterHeaders.EXCEPTION_MESSAGE,
        error.getMessage() == null ? "" : error.getMessage());
    put(headers, DeadLetterHeaders.ATTEMPTS, Integer.toString(attempts));
    put(headers, DeadLetterHeaders.REASON, reason.code());
  }

  private static void put(Headers headers, String key, String value) {
    headers.remove(key);
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
