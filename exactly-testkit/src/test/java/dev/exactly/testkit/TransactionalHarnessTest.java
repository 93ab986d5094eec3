package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The embedded broker runs real transactions: commits are seen once, aborts never. */
class TransactionalHarnessTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void committedTransactionsAreReadExactlyOnce() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("committed", 3);
    try (KafkaProducer<String, String> producer =
        Clients.transactionalProducer(kafka.bootstrapServers(), "harness-committed")) {
      producer.initTransactions();
      for (int txn = 0; txn < 100; txn++) {
        producer.beginTransaction();
        for (int i = 0; i < 100; i++) {
          int n = txn * 100 + i;
          producer.send(new ProducerRecord<>("committed", "key-" + (n % 17), "value-" + n));
        }
        producer.commitTransaction();
      }
    }

    List<String> seen =
        Clients.values(TopicReader.readCommitted(kafka.bootstrapServers(), "committed"));

    assertThat(seen)
        .hasSize(10_000)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(
            IntStream.range(0, 10_000).mapToObj(n -> "value-" + n).toList());
  }

  @Test
  void abortedTransactionIsHiddenFromReadCommittedOnly() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("aborted", 1);
    try (KafkaProducer<String, String> producer =
        Clients.transactionalProducer(kafka.bootstrapServers(), "harness-aborted")) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("aborted", "k", "committed-1"));
      producer.commitTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("aborted", "k", "aborted-1"));
      producer.send(new ProducerRecord<>("aborted", "k", "aborted-2"));
      producer.flush();
      producer.abortTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("aborted", "k", "committed-2"));
      producer.commitTransaction();
    }

    assertThat(Clients.values(TopicReader.readCommitted(kafka.bootstrapServers(), "aborted")))
        .containsExactly("committed-1", "committed-2");
    assertThat(Clients.values(TopicReader.readUncommitted(kafka.bootstrapServers(), "aborted")))
        .containsExactly("committed-1", "aborted-1", "aborted-2", "committed-2");
  }
}
