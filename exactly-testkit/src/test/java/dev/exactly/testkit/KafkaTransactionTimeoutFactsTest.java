package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What Kafka 4.4's transactional producer (transaction version 2) raises after its coordinator
 * aborted a transaction that outlived {@code transaction.timeout.ms}, next to real fencing by a
 * second producer with the same transactional id: the processor's reactions rest on these.
 */
class KafkaTransactionTimeoutFactsTest {
  private static final ProducerRecord<byte[], byte[]> RECORD =
      new ProducerRecord<>("facts", new byte[] {1});
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka =
        EmbeddedKafka.builder()
            .brokerProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "200")
            .start();
    kafka.createTopic("facts", 1);
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Test
  void afterATimeoutSendsAndCommitGetInvalidProducerEpochAndTheAbortCompletes() throws Exception {
    try (KafkaProducer<byte[], byte[]> p = timedOut("facts-send")) {
      assertThatThrownBy(() -> p.send(RECORD).get())
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(InvalidProducerEpochException.class);
      assertThatThrownBy(p::commitTransaction).isInstanceOf(InvalidProducerEpochException.class);
      p.abortTransaction();
      p.beginTransaction();
      p.send(RECORD).get();
      p.commitTransaction();
    }
  }

  @Test
  @SuppressWarnings("removal")
  void afterATimeoutTheOffsetsCallIsAnsweredProducerFenced() throws Exception {
    try (KafkaProducer<byte[], byte[]> p = timedOut("facts-offsets")) {
      assertThatThrownBy(
              () ->
                  p.sendOffsetsToTransaction(
                      Map.of(new TopicPartition("facts", 0), new OffsetAndMetadata(1)),
                      new ConsumerGroupMetadata("facts-group")))
          .isInstanceOf(ProducerFencedException.class);
    }
  }

  @Test
  void afterATimeoutACommitGetsInvalidTxnStateAndANewProducerWorks() throws Exception {
    try (KafkaProducer<byte[], byte[]> p = timedOut("facts-commit")) {
      assertThatThrownBy(p::commitTransaction).isInstanceOf(InvalidTxnStateException.class);
    }
    try (KafkaProducer<byte[], byte[]> p = producer("facts-commit")) {
      p.initTransactions();
      p.beginTransaction();
      p.send(RECORD).get();
      p.commitTransaction();
    }
  }

  @Test
  void afterRealFencingTheAbortThrowsProducerFenced() throws Exception {
    try (KafkaProducer<byte[], byte[]> zombie = producer("facts-fenced");
        KafkaProducer<byte[], byte[]> owner = producer("facts-fenced")) {
      zombie.initTransactions();
      zombie.beginTransaction();
      zombie.send(RECORD).get();
      owner.initTransactions();
      assertThatThrownBy(() -> zombie.send(RECORD).get())
          .hasCauseInstanceOf(InvalidProducerEpochException.class);
      assertThatThrownBy(zombie::commitTransaction)
          .isInstanceOf(InvalidProducerEpochException.class);
      assertThatThrownBy(zombie::abortTransaction).isInstanceOf(ProducerFencedException.class);
    }
  }

  /** A producer whose open transaction the coordinator has aborted for outliving its timeout. */
  private static KafkaProducer<byte[], byte[]> timedOut(String id) throws Exception {
    KafkaProducer<byte[], byte[]> p = producer(id);
    p.initTransactions();
    p.beginTransaction();
    p.send(RECORD).get();
    Thread.sleep(Duration.ofSeconds(3).toMillis()); // the fault itself: a 3 s stall, 1 s timeout
    return p;
  }

  private static KafkaProducer<byte[], byte[]> producer(String id) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put("transactional.id", id);
    props.put("transaction.timeout.ms", "1000");
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }
}
