package dev.exactly.processor;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The user's transformation: called once per input record per attempt, on the engine thread, in
 * offset order within a partition.
 *
 * <p>It may run more than once for the same record (a retry, or after an abort, a crash or a
 * rebalance), but only one attempt's outputs ever commit; side effects outside {@link Output} are
 * not covered by the exactly-once guarantee.
 *
 * <p>Exceptions: {@link dev.exactly.NonRetriableException} (or a type marked non-retriable in the
 * builder) sends the record to the dead-letter topic at once; after any other exception the record
 * is called again, in place, after the retry policy's backoff (its failed attempt's outputs
 * discarded, the batch's transaction kept open), until its attempts run out and it goes to the
 * dead-letter topic in the same transaction. An {@link Error} stops the processor in state {@code
 * FAILED}.
 */
@FunctionalInterface
public interface RecordProcessor<K, V, OK, OV> {
  void process(ConsumerRecord<K, V> record, Output<OK, OV> out) throws Exception;
}
