package dev.exactly.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On three child-JVM brokers (replication 3, min ISR 2), SIGKILL the leader of a partition while a
 * transactional producer streams: the producer carries on, and read_committed sees every committed
 * record once and no record of an aborted transaction.
 */
class LeaderKillTest {
  @RegisterExtension static final KafkaClusterExtension CLUSTER = KafkaClusterExtension.brokers(3);

  private static final int RECORDS_PER_TXN = 50;

  @Test
  void transactionsSurviveLeaderSigkill() throws Exception {
    KafkaCluster cluster = CLUSTER.cluster();
    cluster.createTopic("stream", 3);
    Set<Integer> committed = ConcurrentHashMap.newKeySet();
    Set<Integer> aborted = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger txnIds = new AtomicInteger();

    CompletableFuture<Void> producing =
        CompletableFuture.runAsync(
            () -> {
              try (KafkaProducer<String, String> producer =
                  Clients.transactionalProducer(cluster.bootstrapServers(), "leader-kill")) {
                producer.initTransactions();
                while (!stop.get()) {
                  int txn = txnIds.getAndIncrement();
                  if (runTransaction(producer, txn)) {
                    committed.add(txn);
                  } else {
                    aborted.add(txn);
                  }
                }
              }
            });

    awaitCount(committed, 20, producing);
    int victim = cluster.leader(new TopicPartition("stream", 0));
    cluster.kill(victim);
    int atKill = committed.size();
    awaitCount(committed, atKill + 40, producing);
    stop.set(true);
    producing.get();

    List<String> seen =
        Clients.values(TopicReader.readCommitted(cluster.bootstrapServers(), "stream"));
    List<String> expected = new ArrayList<>();
    committed.forEach(t -> expected.addAll(recordsOf(t)));
    assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
    for (int t : aborted) {
      assertThat(seen).doesNotContainAnyElementsOf(recordsOf(t));
    }

    long restart = System.nanoTime();
    cluster.restart(victim);
    cluster.awaitHealthy();
    System.out.printf(
        "3-broker cluster started in %d ms; broker %d back and cluster healthy in %d ms;"
            + " %d transactions committed, %d aborted%n",
        cluster.startupTime().toMillis(),
        victim,
        (System.nanoTime() - restart) / 1_000_000,
        committed.size(),
        aborted.size());
  }

  /** Commits one transaction, retrying a commit that timed out; aborts on any other failure. */
  private static boolean runTransaction(KafkaProducer<String, String> producer, int txn) {
    producer.beginTransaction();
    try {
      for (String value : recordsOf(txn)) {
        producer.send(
            new ProducerRecord<>("stream", value.substring(0, value.indexOf('-')), value));
      }
      for (int attempt = 1; ; attempt++) {
        try {
          producer.commitTransaction();
          return true;
        } catch (TimeoutException e) {
          if (attempt == 5) {
            throw e;
          }
        }
      }
    } catch (KafkaException e) {
      producer.abortTransaction();
      return false;
    }
  }

  private static List<String> recordsOf(int txn) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < RECORDS_PER_TXN; i++) {
      values.add("k" + (i % 7) + "-t" + txn + "-" + i);
    }
    return values;
  }

  private static void awaitCount(Set<Integer> set, int count, CompletableFuture<Void> producing) {
    Topics.awaitUntil(
        Duration.ofSeconds(90),
        () -> {
          if (producing.isDone()) {
            producing.join(); // surfaces the producer's failure
          }
          return set.size() >= count;
        },
        () -> "only " + set.size() + " of " + count + " transactions committed");
  }
}
