package dev.exactly.cli;

import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Child JVM for {@link TransactionsCommandTest}: opens a transaction with a long timeout, writes
 * into it, says so and waits to be SIGKILLed, leaving the transaction open. Args: bootstrap, topic,
 * transactional.id.
 */
public final class HangingProducerMain {
  public static void main(String[] args) throws Exception {
    KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                args[0],
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                args[2],
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                600_000,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class));
    producer.initTransactions();
    producer.beginTransaction();
    for (int i = 0; i < 3; i++) {
      producer.send(new ProducerRecord<>(args[1], 0, "k", "hanging-" + i)).get();
    }
    System.out.println("OPEN");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
