package dev.exactly.internal;

import dev.exactly.ConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every component checks in {@code start()}, before it reports a state past {@code STARTING}:
 * that the cluster answers within the start timeout, that its input topics exist (a mistyped name
 * would otherwise be auto-created or waited for forever), and that its dead-letter topics exist, or
 * creates them when the user asked. A dead-letter topic left to the broker's auto-creation would be
 * created inside the first transaction that needs it, with the broker's defaults, or never.
 *
 * <p>Each refusal is a {@link ConfigurationException} naming the setting, the value and the fix.
 * When the cluster answers but will not describe a topic (no Describe permission), the check logs
 * and lets the component start: the clients report that themselves.
 */
public final class StartCheck {
  private static final Logger log = LoggerFactory.getLogger(StartCheck.class);
  // A reconnect attempt logs one WARN line: a backoff that starts at 50 ms (Kafka's default) floods
  // the log while a wrong address is retried; one attempt a second says the same.
  private static final int RECONNECT_BACKOFF_MS = 250;
  private static final int RECONNECT_BACKOFF_MAX_MS = 1_000;

  private final String component;
  private final String keyPrefix;
  private final Map<String, ?> userProperties;
  private final StartPolicy policy;

  /**
   * @param component its name in messages, for example {@code processor orders/node-1}
   * @param keyPrefix the prefix of its settings' paths, for example {@code processor}
   * @param userProperties the user's Kafka properties: connection and security settings are used
   */
  public StartCheck(
      String component, String keyPrefix, Map<String, ?> userProperties, StartPolicy policy) {
    this.component = component;
    this.keyPrefix = keyPrefix;
    this.userProperties = userProperties;
    this.policy = policy;
  }

  /**
   * Runs the check from {@code STARTING}; on a refusal moves {@code lifecycle} to FAILED with the
   * refusal as its failure, marks it terminated (no engine thread was started) and rethrows.
   *
   * @param inputKey the input setting's path, for example {@code processor.input}
   * @param inputs the topics consumed; empty for a component that consumes none
   * @param deadLetterTopics each dead-letter topic with the inputs whose partition count it copies
   *     when created (empty: the broker's default)
   * @throws ConfigurationException naming the setting at fault and the fix
   */
  public void runOrFail(
      Lifecycle lifecycle,
      String inputKey,
      List<String> inputs,
      Map<String, List<String>> deadLetterTopics) {
    try {
      run(inputKey, inputs, deadLetterTopics);
    } catch (RuntimeException e) {
      log.error("{} cannot start: {}", component, e.getMessage());
      lifecycle.fail(e);
      lifecycle.terminated();
      throw e;
    }
  }

  void run(String inputKey, List<String> inputs, Map<String, List<String>> deadLetterTopics) {
    try (Admin admin = Admin.create(adminProperties())) {
      try {
        requireCluster(admin);
        Set<String> names = new LinkedHashSet<>(inputs);
        names.addAll(deadLetterTopics.keySet());
        Map<String, Integer> partitions = describe(admin, names);
        List<String> missingInputs =
            inputs.stream().filter(t -> partitions.get(t) == null).toList();
        if (!missingInputs.isEmpty()) {
          refuseOrWarn(admin, inputKey, missingInputs);
        }
        for (Map.Entry<String, List<String>> dlt : deadLetterTopics.entrySet()) {
          if (partitions.get(dlt.getKey()) == null) {
            Optional<Integer> like = likeInputs(dlt.getValue(), partitions);
            if (!policy.createTopics()) {
              throw missingDeadLetterTopic(dlt.getKey(), dlt.getValue(), like);
            }
            create(admin, dlt.getKey(), like);
          }
        }
      } finally {
        admin.close(Duration.ZERO); // nothing in flight worth waiting for
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(component + ": interrupted while checking the cluster", e);
    }
  }

  /** The admin client of the check: the user's connection settings, bounded by the timeout. */
  Map<String, Object> adminProperties() {
    Map<String, Object> p = KafkaSettings.forOtherClient(userProperties);
    p.keySet().retainAll(AdminClientConfig.configNames());
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "exactly-start-" + component.replace(' ', '-'));
    p.putIfAbsent(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, RECONNECT_BACKOFF_MS);
    p.putIfAbsent(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, RECONNECT_BACKOFF_MAX_MS);
    int ms = timeoutMillis();
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
    return p;
  }

  private int timeoutMillis() {
    return (int) Math.min(Integer.MAX_VALUE, policy.timeout().toMillis());
  }

  private <T> T await(KafkaFuture<T> future)
      throws ExecutionException, TimeoutException, InterruptedException {
    // A second more than the admin's own deadline, so its own error (which says more) comes first.
    return future.get(timeoutMillis() + 1_000L, TimeUnit.MILLISECONDS);
  }

  private void requireCluster(Admin admin) throws InterruptedException {
    Throwable why;
    try {
      await(admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMillis())).nodes());
      return;
    } catch (ExecutionException e) {
      why = e.getCause();
    } catch (TimeoutException e) {
      why = e;
    }
    throw new ConfigurationException(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        userProperties.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG),
        "did not answer within "
            + Durations.human(policy.timeout())
            + " ("
            + why
            + "), so "
            + component
            + " did not start. Check that bootstrap.servers lists brokers of a running cluster"
            + " reachable from here (host, port, advertised listener, security settings); if the"
            + " cluster is only slow to answer, raise "
            + keyPrefix
            + ".startTimeout(...)");
  }

  /** Partition counts; null for a topic that certainly does not exist; 0 when unknown. */
  private Map<String, Integer> describe(Admin admin, Set<String> names)
      throws InterruptedException {
    Map<String, KafkaFuture<TopicDescription>> described =
        admin
            .describeTopics(names, new DescribeTopicsOptions().timeoutMs(timeoutMillis()))
            .topicNameValues();
    Map<String, Integer> out = new LinkedHashMap<>();
    for (String name : names) {
      try {
        out.put(name, await(described.get(name)).partitions().size());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          log.warn(
              "{}: cannot describe topic {}; starting without checking it: {}",
              component,
              name,
              e.getCause().toString());
          out.put(name, 0);
        }
      } catch (TimeoutException e) {
        log.warn(
            "{}: describing topic {} timed out; starting without checking it", component, name);
        out.put(name, 0);
      }
    }
    return out;
  }

  private void refuseOrWarn(Admin admin, String inputKey, List<String> missing)
      throws InterruptedException {
    if (!policy.requireExistingTopics()) {
      log.warn(
          "{}: input topics {} do not exist yet; it waits for them ({}.requireExistingTopics is"
              + " false)",
          component,
          missing,
          keyPrefix);
      return;
    }
    Set<String> existing = existingTopics(admin);
    List<String> described = new ArrayList<>();
    for (String topic : missing) {
      List<String> near = TopicNames.closest(topic, existing);
      described.add(
          topic + (near.isEmpty() ? "" : " (did you mean " + String.join(", ", near) + "?)"));
    }
    throw new ConfigurationException(
        inputKey,
        missing.size() == 1 ? missing.get(0) : missing,
        "does not exist: "
            + String.join("; ", described)
            + ". Fix the name, create the topic first, or set "
            + keyPrefix
            + ".requireExistingTopics(false) to start anyway and wait for it");
  }

  private Set<String> existingTopics(Admin admin) throws InterruptedException {
    try {
      return await(admin.listTopics(new ListTopicsOptions().timeoutMs(timeoutMillis())).names());
    } catch (ExecutionException | TimeoutException e) {
      return Set.of(); // only the suggestions are lost
    }
  }

  /** The most partitions among {@code inputs}, when any of them is known. */
  private static Optional<Integer> likeInputs(List<String> inputs, Map<String, Integer> known) {
    return inputs.stream().map(known::get).filter(n -> n != null && n > 0).max(Integer::compare);
  }

  private ConfigurationException missingDeadLetterTopic(
      String dlt, List<String> inputs, Optional<Integer> like) {
    String shape =
        like.map(
                n ->
                    " (for example with "
                        + n
                        + " partitions, like input "
                        + String.join(", ", inputs)
                        + ")")
            .orElse("");
    return new ConfigurationException(
        keyPrefix + ".deadLetterTopic",
        dlt,
        "does not exist: a record given up would have nowhere to go, and Exactly never leaves a"
            + " topic to the broker's auto-creation in the middle of its work. Create the topic"
            + shape
            + ", point deadLetterTopic(...) at an existing topic, or set "
            + keyPrefix
            + ".createTopics(true) to have it created at start");
  }

  private void create(Admin admin, String dlt, Optional<Integer> partitions)
      throws InterruptedException {
    try {
      DurableTopics.create(admin, dlt, partitions, Map.of());
      log.info(
          "{}: created dead-letter topic {} with {} partitions",
          component,
          dlt,
          partitions.map(String::valueOf).orElse("the broker's default"));
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) { // another instance was first
        throw new ConfigurationException(
            keyPrefix + ".createTopics",
            true,
            "could not create dead-letter topic "
                + dlt
                + " ("
                + e.getCause()
                + "); create it yourself, or grant this principal CREATE on the cluster");
      }
    }
  }
}
