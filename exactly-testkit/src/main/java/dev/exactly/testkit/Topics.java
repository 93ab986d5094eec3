package dev.exactly.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;

/** The admin operations brokers and clusters share: topics, broker count, replica health. */
final class Topics implements AutoCloseable {
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

  private final String bootstrapServers;
  private Admin admin;

  Topics(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  synchronized Admin admin() {
    if (admin == null) {
      admin =
          Admin.create(
              Map.of(
                  AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                  AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                  AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000,
                  AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 50));
    }
    return admin;
  }

  void create(String name, int partitions, short replication, Map<String, String> config) {
    if (partitions < 1) {
      throw new IllegalArgumentException(
          "topic " + name + " needs at least 1 partition, got " + partitions);
    }
    try {
      admin()
          .createTopics(List.of(new NewTopic(name, partitions, replication).configs(config)))
          .all()
          .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause(), e);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot create topic " + name + ": " + e, e);
    }
    awaitUntil(
        Duration.ofSeconds(30),
        () -> {
          Optional<TopicDescription> d = describe(name);
          return d.isPresent()
              && d.get().partitions().size() == partitions
              && d.get().partitions().stream().allMatch(p -> p.leader() != null);
        },
        () -> "topic " + name + " has no leader for every partition");
  }

  Optional<TopicDescription> describe(String name) {
    try {
      return Optional.of(
          admin()
              .describeTopics(List.of(name))
              .allTopicNames()
              .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .get(name));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  int liveBrokers() {
    try {
      return admin()
          .describeCluster()
          .nodes()
          .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .size();
    } catch (Exception e) {
      return 0;
    }
  }

  void awaitBrokers(int count, Duration timeout) {
    awaitUntil(
        timeout,
        () -> liveBrokers() == count,
        () -> "expected " + count + " live brokers, the cluster reports " + liveBrokers());
  }

  /** Partitions, internal topics included, whose in-sync replicas are fewer than their replicas. */
  List<String> underReplicated() {
    List<String> problems = new ArrayList<>();
    try {
      var names =
          admin()
              .listTopics(new ListTopicsOptions().listInternal(true))
              .names()
              .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      var descriptions =
          admin()
              .describeTopics(names)
              .allTopicNames()
              .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      for (TopicDescription d : descriptions.values()) {
        for (TopicPartitionInfo p : d.partitions()) {
          if (p.leader() == null || p.isr().size() < p.replicas().size()) {
            problems.add(
                d.name()
                    + "-"
                    + p.partition()
                    + " (leader "
                    + (p.leader() == null ? "none" : p.leader().id())
                    + ", isr "
                    + p.isr().size()
                    + "/"
                    + p.replicas().size()
                    + ")");
          }
        }
      }
    } catch (Exception e) {
      problems.add("metadata unavailable: " + e);
    }
    return problems;
  }

  static void awaitUntil(
      Duration timeout,
      java.util.function.BooleanSupplier condition,
      java.util.function.Supplier<String> failure) {
    Instant deadline = Instant.now().plus(timeout);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(failure.get() + " after " + timeout);
      }
      ChildProcess.sleep(Duration.ofMillis(100));
    }
  }

  @Override
  public synchronized void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
      admin = null;
    }
  }
}
