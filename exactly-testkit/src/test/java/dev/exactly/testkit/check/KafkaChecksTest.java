package dev.exactly.testkit.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The checker's Kafka readers find what they look for, and stay silent only when they should. */
class KafkaChecksTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Input ONE = new Input("in-1", "k", 0);
  private static final Input TWO = new Input("in-2", "k", 1);

  private static KafkaProducer<String, byte[]> producer(EmbeddedKafka kafka, String txnId) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            txnId,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            ByteArraySerializer.class));
  }

  @Test
  void abortedReadsAreFoundByAnUncommittedLiveReaderAndNeverByACommittedOne() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("aborts", 1);
    try (AbortedReadMonitor committed =
            AbortedReadMonitor.start(kafka.bootstrapServers(), "aborts");
        AbortedReadMonitor uncommitted =
            AbortedReadMonitor.start(
                kafka.bootstrapServers(), "aborts", IsolationLevel.READ_UNCOMMITTED);
        KafkaProducer<String, byte[]> p = producer(kafka, "aborts-txn")) {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>("aborts", "k", RecordCodec.encodeOutput(ONE, "good")));
      p.commitTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>("aborts", "k", RecordCodec.encodeOutput(TWO, "bad")));
      p.flush();
      p.abortTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>("aborts", "k", RecordCodec.encodeOutput(TWO, "retry")));
      p.commitTransaction();
      await().atMost(Duration.ofSeconds(30)).until(committed::recordsSeen, n -> n == 2);
      await().atMost(Duration.ofSeconds(30)).until(uncommitted::recordsSeen, n -> n == 3);

      AbortedReadMonitor.Report ok = committed.report();
      assertThat(ok.abortedAttempts()).containsExactly("bad");
      assertThat(ok.abortedReads()).isEmpty();
      AbortedReadMonitor.Report caught = uncommitted.report();
      assertThat(caught.abortedReads()).as("negative control").containsExactly("bad");
    }
  }

  @Test
  void aLiveReaderThatFellBehindMakesTheReportFailInsteadOfPassingOnSilence() throws Exception {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("behind", 1);
    try (AbortedReadMonitor monitor = AbortedReadMonitor.start(kafka.bootstrapServers(), "behind");
        KafkaProducer<String, byte[]> p = producer(kafka, "behind-txn")) {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>("behind", "k", RecordCodec.encodeOutput(ONE, "first")));
      p.commitTransaction();
      await().atMost(Duration.ofSeconds(30)).until(monitor::recordsSeen, n -> n == 1);
      monitor.stall();
      p.beginTransaction();
      p.send(new ProducerRecord<>("behind", "k", RecordCodec.encodeOutput(TWO, "unseen")));
      p.commitTransaction();

      assertThatThrownBy(() -> monitor.report(Duration.ofSeconds(2)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("did not reach the end of behind")
          .hasMessageContaining("proves nothing");
    }
  }

  @Test
  void anOpenTransactionIsReportedAsHangingUntilItEnds() {
    EmbeddedKafka kafka = KAFKA.broker();
    kafka.createTopic("hanging", 2);
    try (KafkaProducer<String, byte[]> p = producer(kafka, "hanging-txn")) {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>("hanging", 1, "k", RecordCodec.encodeOutput(ONE, "open")));
      p.flush();
      List<String> blocked =
          HangingTransactionCheck.awaitStable(
              kafka.bootstrapServers(), "hanging", Duration.ofSeconds(2));
      assertThat(blocked)
          .hasSize(2)
          .anySatisfy(line -> assertThat(line).startsWith("hanging-1 LSO 0 < end 1"))
          .anySatisfy(
              line ->
                  assertThat(line)
                      .startsWith("transaction 'hanging-txn' Ongoing since")
                      .endsWith("on [hanging-1]"));
      assertThatThrownBy(
              () ->
                  HangingTransactionCheck.assertSettled(
                      kafka.bootstrapServers(), "hanging", Duration.ofSeconds(1)))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("did not settle")
          .hasMessageContaining("hanging-txn");
      p.commitTransaction();
    }
    HangingTransactionCheck.assertSettled(
        kafka.bootstrapServers(), "hanging", Duration.ofSeconds(30));
    assertThat(
            HangingTransactionCheck.awaitStable(
                kafka.bootstrapServers(), "hanging", Duration.ofSeconds(30)))
        .isEmpty();
    new ExactlyOnceChecker(List.of(ONE))
        .check(new TopicEffects(kafka.bootstrapServers(), "hanging"))
        .assertExactlyOnce();
  }
}
