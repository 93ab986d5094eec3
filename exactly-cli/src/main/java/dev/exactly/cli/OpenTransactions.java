package dev.exactly.cli;

import dev.exactly.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;

/**
 * Open transactions as the Admin API shows them: from the coordinators (listTransactions,
 * describeTransactions) and from the partitions themselves (describeProducers), each named by the
 * Exactly component that owns its {@code transactional.id}.
 *
 * <p>A partition holds back every {@code read_committed} reader at its first open transaction (the
 * last stable offset), so a transaction left open blocks those readers until the coordinator times
 * it out, or, for one the coordinator has lost track of, until it is aborted by hand.
 */
final class OpenTransactions {
  private static final long TIMEOUT_MS = 20_000;

  /** One transaction open at the coordinator. */
  record Open(
      String transactionalId,
      String owner,
      long producerId,
      int producerEpoch,
      TransactionState state,
      Duration openFor,
      Duration timeout,
      List<TopicPartition> partitions) {}

  /** One producer's open transaction on one partition, as the partition's leader sees it. */
  record Hanging(
      TopicPartition partition,
      long producerId,
      int producerEpoch,
      int coordinatorEpoch,
      long startOffset,
      Duration sinceLastWrite,
      String transactionalId,
      String owner,
      String coordinatorState) {}

  private final Admin admin;
  private final Ticker ticker;

  OpenTransactions(Admin admin, Ticker ticker) {
    this.admin = admin;
    this.ticker = ticker;
  }

  /** Transactions the coordinators hold open (ongoing, preparing), oldest first. */
  List<Open> list(Duration olderThan, String topic) throws Exception {
    ListTransactionsOptions options =
        new ListTransactionsOptions()
            .filterStates(
                List.of(
                    TransactionState.ONGOING,
                    TransactionState.PREPARE_COMMIT,
                    TransactionState.PREPARE_ABORT));
    if (olderThan != null && !olderThan.isZero()) {
      options.filterOnDuration(olderThan.toMillis()); // KIP-994: the coordinator filters
    }
    Collection<TransactionListing> listings =
        admin.listTransactions(options).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    if (listings.isEmpty()) {
      return List.of();
    }
    List<String> ids = listings.stream().map(TransactionListing::transactionalId).toList();
    Map<String, TransactionDescription> described =
        admin.describeTransactions(ids).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    Owners owners = Owners.read(admin);
    long now = ticker.millis();
    List<Open> out = new ArrayList<>();
    for (Map.Entry<String, TransactionDescription> e : described.entrySet()) {
      TransactionDescription d = e.getValue();
      if (topic != null && d.topicPartitions().stream().noneMatch(tp -> tp.topic().equals(topic))) {
        continue;
      }
      Duration openFor =
          d.transactionStartTimeMs().isPresent()
              ? Duration.ofMillis(Math.max(0, now - d.transactionStartTimeMs().getAsLong()))
              : Duration.ZERO;
      if (olderThan != null && openFor.compareTo(olderThan) < 0) {
        continue;
      }
      out.add(
          new Open(
              e.getKey(),
              owners.of(e.getKey()),
              d.producerId(),
              d.producerEpoch(),
              d.state(),
              openFor,
              Duration.ofMillis(d.transactionTimeoutMs()),
              sorted(d.topicPartitions())));
    }
    out.sort(Comparator.comparing(Open::openFor).reversed());
    return out;
  }

  /**
   * Transactions open on partitions (of {@code topic}, or of every topic) whose producer has not
   * written for {@code olderThan}: a producer that died mid-transaction. Each is named with the
   * coordinator's view of it: still {@code Ongoing} (it times out at the coordinator by itself) or
   * unknown there (hanging: only an abort by hand releases the partition).
   */
  List<Hanging> findHanging(Duration olderThan, String topic) throws Exception {
    List<TopicPartition> partitions = partitions(topic);
    Map<TopicPartition, PartitionProducerState> states =
        admin.describeProducers(partitions).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    long now = ticker.millis();
    List<Hanging> candidates = new ArrayList<>();
    Set<Long> producerIds = new HashSet<>();
    for (Map.Entry<TopicPartition, PartitionProducerState> e : states.entrySet()) {
      for (ProducerState p : e.getValue().activeProducers()) {
        if (p.currentTransactionStartOffset().isEmpty()) {
          continue;
        }
        Duration since = Duration.ofMillis(Math.max(0, now - p.lastTimestamp()));
        if (since.compareTo(olderThan) < 0) {
          continue;
        }
        producerIds.add(p.producerId());
        candidates.add(
            new Hanging(
                e.getKey(),
                p.producerId(),
                p.producerEpoch(),
                // Kafka's own tool does the same: a producer whose markers the partition never saw
                // has no coordinator epoch yet, and 0 is below every real one.
                p.coordinatorEpoch().orElse(0),
                p.currentTransactionStartOffset().getAsLong(),
                since,
                null,
                null,
                null));
      }
    }
    if (candidates.isEmpty()) {
      return List.of();
    }
    Map<Long, TransactionListing> byProducer = new HashMap<>();
    admin
        .listTransactions(new ListTransactionsOptions().filterProducerIds(producerIds))
        .all()
        .get(TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .forEach(l -> byProducer.put(l.producerId(), l));
    Owners owners = Owners.read(admin);
    List<Hanging> out = new ArrayList<>();
    for (Hanging h : candidates) {
      TransactionListing l = byProducer.get(h.producerId());
      String id = l == null ? null : l.transactionalId();
      out.add(
          new Hanging(
              h.partition(),
              h.producerId(),
              h.producerEpoch(),
              h.coordinatorEpoch(),
              h.startOffset(),
              h.sinceLastWrite(),
              id,
              id == null ? "unknown" : owners.of(id),
              l == null ? "none (hanging)" : l.state().toString()));
    }
    out.sort(Comparator.comparing(Hanging::sinceLastWrite).reversed());
    return out;
  }

  /**
   * Writes an abort marker for each transaction to its partition (KIP-664), releasing the {@code
   * read_committed} readers held back by it. The producer id, epoch and coordinator epoch are the
   * ones describeProducers reported; the partition leader refuses a stale epoch.
   */
  void abort(List<Hanging> hanging) throws Exception {
    for (Hanging h : hanging) {
      admin
          .abortTransaction(
              new AbortTransactionSpec(
                  h.partition(), h.producerId(), (short) h.producerEpoch(), h.coordinatorEpoch()))
          .all()
          .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
  }

  private List<TopicPartition> partitions(String topic) throws Exception {
    Collection<String> topics =
        topic != null
            ? List.of(topic)
            : admin
                .listTopics(new ListTopicsOptions().listInternal(false))
                .names()
                .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    Map<String, TopicDescription> described =
        admin.describeTopics(topics).allTopicNames().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    List<TopicPartition> out = new ArrayList<>();
    described.forEach(
        (name, d) -> d.partitions().forEach(p -> out.add(new TopicPartition(name, p.partition()))));
    return sorted(out);
  }

  private static List<TopicPartition> sorted(Collection<TopicPartition> tps) {
    List<TopicPartition> out = new ArrayList<>(tps);
    out.sort(
        Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
    return out;
  }
}
