package dev.exactly.testkit.check;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Once the writers of a topic have stopped or finished, no transaction may still be open on it: the
 * last stable offset (the end a {@code read_committed} reader sees) of every partition must reach
 * its end offset, and the transaction coordinators must list no transaction in an open state on any
 * of its partitions. An open one could still commit outputs after a checker has counted, so a check
 * run before it settles could pass on a duplicate it never saw.
 */
public final class HangingTransactionCheck {
  private static final Set<TransactionState> OPEN =
      EnumSet.of(
          TransactionState.ONGOING,
          TransactionState.PREPARE_COMMIT,
          TransactionState.PREPARE_ABORT,
          TransactionState.PREPARE_EPOCH_FENCE);

  private HangingTransactionCheck() {}

  /**
   * Waits until no transaction is open on {@code topic}.
   *
   * @return what still blocks at the timeout, one line per partition ({@code topic-p LSO x < end
   *     y}) and per open transaction ({@code transaction 'id' Ongoing since ... on [topic-p]});
   *     empty when nothing hangs
   */
  public static List<String> awaitStable(String bootstrapServers, String topic, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    try (KafkaConsumer<byte[], byte[]> committed =
            consumer(bootstrapServers, IsolationLevel.READ_COMMITTED);
        KafkaConsumer<byte[], byte[]> uncommitted =
            consumer(bootstrapServers, IsolationLevel.READ_UNCOMMITTED);
        Admin admin =
            Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : committed.partitionsFor(topic, Duration.ofSeconds(60))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      while (true) {
        List<String> blocked =
            new ArrayList<>(unstablePartitions(committed, uncommitted, partitions));
        blocked.addAll(openTransactions(admin, topic));
        if (blocked.isEmpty() || Instant.now().isAfter(deadline)) {
          return List.copyOf(blocked);
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return List.copyOf(blocked);
        }
      }
    }
  }

  /**
   * Waits as {@link #awaitStable} does and fails when something still blocks: call it before
   * counting effects, so outputs a still-open transaction could commit later are not missed.
   *
   * @throws AssertionError naming what still blocks after {@code timeout}
   */
  public static void assertSettled(String bootstrapServers, String topic, Duration timeout) {
    List<String> blocked = awaitStable(bootstrapServers, topic, timeout);
    if (!blocked.isEmpty()) {
      throw new AssertionError(
          "transactions on " + topic + " did not settle within " + timeout + ": " + blocked);
    }
  }

  private static Collection<String> unstablePartitions(
      KafkaConsumer<byte[], byte[]> committed,
      KafkaConsumer<byte[], byte[]> uncommitted,
      List<TopicPartition> partitions) {
    Map<TopicPartition, Long> stable = committed.endOffsets(partitions, Duration.ofSeconds(30));
    Map<TopicPartition, Long> end = uncommitted.endOffsets(partitions, Duration.ofSeconds(30));
    Map<String, String> blocked = new TreeMap<>();
    for (TopicPartition tp : partitions) {
      if (stable.get(tp) < end.get(tp)) {
        blocked.put(tp.toString(), tp + " LSO " + stable.get(tp) + " < end " + end.get(tp));
      }
    }
    return blocked.values();
  }

  /** Open transactions on {@code topic}, as the coordinators list and describe them. */
  static List<String> openTransactions(Admin admin, String topic) {
    try {
      List<String> ids = new ArrayList<>();
      for (TransactionListing t :
          admin
              .listTransactions(new ListTransactionsOptions().filterStates(OPEN))
              .all()
              .get(30, TimeUnit.SECONDS)) {
        ids.add(t.transactionalId());
      }
      if (ids.isEmpty()) {
        return List.of();
      }
      Map<String, String> open = new TreeMap<>();
      for (Map.Entry<String, TransactionDescription> e :
          admin.describeTransactions(ids).all().get(30, TimeUnit.SECONDS).entrySet()) {
        TransactionDescription d = e.getValue();
        List<String> onTopic =
            d.topicPartitions().stream()
                .filter(tp -> tp.topic().equals(topic))
                .map(TopicPartition::toString)
                .sorted()
                .toList();
        if (OPEN.contains(d.state()) && !onTopic.isEmpty()) {
          String since =
              d.transactionStartTimeMs().isPresent()
                  ? Instant.ofEpochMilli(d.transactionStartTimeMs().getAsLong()).toString()
                  : "an unknown time";
          open.put(
              e.getKey(),
              "transaction '"
                  + e.getKey()
                  + "' "
                  + d.state()
                  + " since "
                  + since
                  + " on "
                  + onTopic);
        }
      }
      return List.copyOf(open.values());
    } catch (ExecutionException | TimeoutException e) {
      // Often a transaction that ended between the listing and the description: the next round
      // looks again. Unknown is not settled, so it blocks until a round succeeds.
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      return List.of("transactions on " + topic + " could not be listed: " + cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of("interrupted while listing the transactions on " + topic);
    }
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, IsolationLevel level) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            level.toString().toLowerCase(Locale.ROOT),
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            ByteArrayDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ByteArrayDeserializer.class));
  }
}
