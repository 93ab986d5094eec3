package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A second producer with the same transactional.id fences the first, whose open work vanishes. */
@ExtendWith(EmbeddedKafkaExtension.class)
class ZombieFencingTest {

  @Test
  void newProducerWithSameTransactionalIdFencesTheZombie(EmbeddedKafka kafka) {
    kafka.createTopic("fencing", 1);
    try (KafkaProducer<String, String> zombie =
            Clients.transactionalProducer(kafka.bootstrapServers(), "fencing-instance-0");
        KafkaProducer<String, String> successor =
            Clients.transactionalProducer(kafka.bootstrapServers(), "fencing-instance-0")) {
      zombie.initTransactions();
      zombie.beginTransaction();
      zombie.send(new ProducerRecord<>("fencing", "k", "zombie-before-fence"));
      zombie.flush();

      successor.initTransactions(); // fences the zombie and aborts its open transaction
      successor.beginTransaction();
      successor.send(new ProducerRecord<>("fencing", "k", "successor"));
      successor.commitTransaction();

      // With transaction protocol v2 (Kafka 4.x) the broker answers the zombie's produce with
      // INVALID_PRODUCER_EPOCH; older protocols say PRODUCER_FENCED. Both mean "you are a zombie".
      assertThatThrownBy(
              () -> zombie.send(new ProducerRecord<>("fencing", "k", "zombie-after-fence")).get())
          .rootCause()
          .isInstanceOfAny(ProducerFencedException.class, InvalidProducerEpochException.class);
      assertThatThrownBy(zombie::commitTransaction)
          .satisfiesAnyOf(
              e -> assertThat(e).isInstanceOf(ProducerFencedException.class),
              e -> assertThat(e).isInstanceOf(InvalidProducerEpochException.class),
              e ->
                  assertThat(e)
                      .rootCause()
                      .isInstanceOfAny(
                          ProducerFencedException.class, InvalidProducerEpochException.class));
    }

    assertThat(Clients.values(TopicReader.readCommitted(kafka.bootstrapServers(), "fencing")))
        .containsExactly("successor");
    assertThat(Clients.values(TopicReader.readUncommitted(kafka.bootstrapServers(), "fencing")))
        .contains("zombie-before-fence")
        .doesNotContain("zombie-after-fence");
  }
}
