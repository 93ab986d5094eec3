package dev.exactly.jdbc.sink;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A polled record, raw for the dead-letter topic and typed for the handler ({@code typed} is null
 * when it could not be deserialized).
 */
record PolledRecord<K, V>(
    ConsumerRecord<byte[], byte[]> raw, ConsumerRecord<K, V> typed, TopicPartition tp) {}
