package dev.exactly.jdbc.outbox;

import dev.exactly.DeadLetterReason;
import dev.exactly.internal.DeadLetters;
import dev.exactly.jdbc.internal.HeaderCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** What an outbox row becomes in Kafka: its record, or the dead letter when Kafka refused it. */
final class RelayRecords {
  /**
   * Kafka refuses a row for good the first time (too large, invalid topic), so a dead-lettered row
   * was attempted exactly once.
   */
  private static final int ATTEMPTS_BEFORE_REFUSAL = 1;

  private RelayRecords() {}

  /** The row as its topic gets it: the user's headers and {@link Outbox#ID_HEADER}. */
  static ProducerRecord<byte[], byte[]> record(OutboxRow row) {
    return new ProducerRecord<>(row.topic(), null, null, row.key(), row.value(), headers(row));
  }

  /** The row as the dead-letter topic gets it, with every {@code DeadLetterHeaders} header. */
  static ProducerRecord<byte[], byte[]> deadLetter(
      String deadLetterTopic, OutboxRow row, KafkaException refusal) {
    // A value too large for the topic is likely too large here too: keep the key and headers.
    boolean tooLarge =
        refusal instanceof RecordTooLargeException
            || refusal instanceof RecordBatchTooLargeException;
    return DeadLetters.ofOutboxRow(
        deadLetterTopic,
        row.id(),
        row.topic(),
        row.key(),
        tooLarge ? null : row.value(),
        new RecordHeaders(headers(row)),
        row.createdAtMillis(),
        DeadLetterReason.REFUSED_BY_KAFKA,
        refusal,
        ATTEMPTS_BEFORE_REFUSAL);
  }

  private static List<Header> headers(OutboxRow row) {
    List<Header> headers = HeaderCodec.decode(row.headers());
    headers.add(
        new RecordHeader(
            Outbox.ID_HEADER, Long.toString(row.id()).getBytes(StandardCharsets.UTF_8)));
    return headers;
  }
}
