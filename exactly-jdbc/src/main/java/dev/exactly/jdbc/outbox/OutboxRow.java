package dev.exactly.jdbc.outbox;

/** One row read from the outbox table. */
record OutboxRow(
    long id, String topic, byte[] key, byte[] value, byte[] headers, long createdAtMillis) {}
