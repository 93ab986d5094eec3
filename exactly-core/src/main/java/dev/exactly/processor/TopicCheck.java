package dev.exactly.processor;

import dev.exactly.ConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up check that the input and dead-letter topics exist. Without it, a missing dead-letter
 * topic on a broker that does not auto-create topics makes every send of a bad record fail, so its
 * batch aborts and the processor retries the same record forever.
 *
 * <p>Only a topic that is certainly missing on a cluster that certainly does not auto-create topics
 * fails start-up: when the cluster cannot be asked (unreachable, no Describe permission), the check
 * logs and lets the processor start, since the clients retry on their own.
 */
final class TopicCheck {
  private static final Logger log = LoggerFactory.getLogger(ExactlyOnceProcessor.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private TopicCheck() {}

  /**
   * @throws ConfigurationException naming the missing topic and the fix, when the dead-letter or
   *     input topic does not exist and the broker will not create it
   */
  static void requireTopics(ProcessorSettings settings) {
    Map<String, Object> adminProperties = new HashMap<>();
    // The consumer's connection settings (bootstrap, SSL, SASL) pass through untouched.
    settings
        .consumerProperties()
        .forEach(
            (k, v) -> {
              if (AdminClientConfig.configNames().contains(k)) {
                adminProperties.put(k, v);
              }
            });
    adminProperties.put(
        AdminClientConfig.CLIENT_ID_CONFIG,
        settings.groupId() + "-" + settings.instanceId() + "-topic-check");
    try (Admin admin = Admin.create(adminProperties)) {
      String input = settings.inputTopic();
      String dlt = settings.deadLetterTopic();
      Map<String, KafkaFuture<TopicDescription>> described =
          admin.describeTopics(List.of(input, dlt)).topicNameValues();
      Integer inputPartitions = partitions(described.get(input));
      Integer dltPartitions = partitions(described.get(dlt));
      List<String> missing = new ArrayList<>();
      if (inputPartitions == null) {
        missing.add(input);
      }
      if (dltPartitions == null) {
        missing.add(dlt);
      }
      if (missing.isEmpty() || autoCreates(admin)) {
        if (!missing.isEmpty()) {
          log.warn(
              "processor {}/{}: topics {} do not exist yet; the broker auto-creates them with its"
                  + " default partitions and replication, which may not be what you want",
              settings.groupId(),
              settings.instanceId(),
              missing);
        }
        return;
      }
      if (dltPartitions == null) {
        throw new ConfigurationException(
            "processor.deadLetterTopic",
            dlt,
            "does not exist and the broker does not auto-create topics: a record that cannot be"
                + " processed would fail to send, abort its batch and be retried forever. Create"
                + " the topic first (for example with "
                + (inputPartitions == null ? "as many partitions as " + input : inputPartitions)
                + " partitions, like input "
                + input
                + ") or point deadLetterTopic(...) at an existing topic");
      }
      throw new ConfigurationException(
          "processor.input",
          input,
          "does not exist and the broker does not auto-create topics: the processor would wait"
              + " for records forever. Create the topic first or fix the name given to input(...)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the processor's topics", e);
    }
  }

  /** The topic's partition count; null when it certainly does not exist; 0 when unknown. */
  private static Integer partitions(KafkaFuture<TopicDescription> description)
      throws InterruptedException {
    try {
      return description.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).partitions().size();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return null;
      }
      log.warn("cannot describe a processor topic; starting without the check: {}", e.getCause());
      return 0;
    } catch (java.util.concurrent.TimeoutException e) {
      log.warn("cannot describe a processor topic within {}; starting without the check", TIMEOUT);
      return 0;
    }
  }

  /** Whether the broker auto-creates topics; true when it cannot tell, so nothing is refused. */
  private static boolean autoCreates(Admin admin) throws InterruptedException {
    try {
      Node node =
          admin
              .describeCluster()
              .nodes()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .iterator()
              .next();
      ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, node.idString());
      Config config =
          admin
              .describeConfigs(List.of(broker))
              .all()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .get(broker);
      ConfigEntry entry = config.get("auto.create.topics.enable");
      return entry == null || entry.value() == null || Boolean.parseBoolean(entry.value());
    } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
      log.warn(
          "cannot read the broker's auto.create.topics.enable; assuming it may: {}", e.toString());
      return true;
    }
  }
}
