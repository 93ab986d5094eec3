package dev.exactly.jdbc.outbox;

import dev.exactly.Ticker;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a row for a topic that does not exist, or that the relay may not write, from holding the
 * relay up forever. Sent as it is, such a row fails its Kafka transaction every time: a missing
 * topic after {@code max.block.ms} of waiting for its metadata (on a cluster that does not create
 * topics), a forbidden one with an authorization error that stops the relay.
 *
 * <p>Topics seen to exist and be writable are remembered, so a row for a known topic costs nothing.
 * A topic not known yet is looked up with the admin client; while it is missing or forbidden the
 * batch holding it waits, and once it has been so for {@code missingTopicTimeout} its rows go to
 * the dead-letter topic and the other rows flow again. On a cluster that creates topics on first
 * use, a missing topic is left to the producer to create.
 *
 * <p>Relay thread only.
 */
final class TopicGuard implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TopicGuard.class);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, ?> clientProperties;
  private final Duration timeout;
  private final Ticker ticker;
  private final String relayName;
  private final Set<String> known = new HashSet<>();

  /** Topics missing or forbidden, with when that was first seen (ticker nanos). */
  private final Map<String, Long> refusedSince = new HashMap<>();

  private Admin admin;
  private Boolean clusterCreatesTopics;

  TopicGuard(Map<String, ?> clientProperties, Duration timeout, Ticker ticker, String relayName) {
    this.clientProperties = clientProperties;
    this.timeout = timeout;
    this.ticker = ticker;
    this.relayName = relayName;
  }

  /** What to do with a batch. */
  sealed interface Verdict {}

  /** Publish it; the rows named in {@code refused} go to the dead-letter topic. */
  record Publish(Map<Long, KafkaException> refused) implements Verdict {}

  /**
   * Do not publish it yet: a row's topic is missing or forbidden, and its wait is not over.
   *
   * @param first whether this is the first time that topic is seen missing or forbidden
   */
  record Wait(String topic, String why, boolean first) implements Verdict {}

  Verdict check(List<OutboxRow> rows) throws InterruptedException {
    Set<String> unknown = new HashSet<>();
    for (OutboxRow row : rows) {
      if (!known.contains(row.topic())) {
        unknown.add(row.topic());
      }
    }
    Map<String, KafkaException> refusals = unknown.isEmpty() ? Map.of() : lookUp(unknown);
    Map<Long, KafkaException> refused = new HashMap<>();
    long now = ticker.nanoTime();
    for (OutboxRow row : rows) {
      KafkaException why = refusals.get(row.topic());
      if (why == null) {
        continue;
      }
      boolean first = !refusedSince.containsKey(row.topic());
      long since = refusedSince.computeIfAbsent(row.topic(), t -> now);
      if (now - since < timeout.toNanos()) {
        return new Wait(row.topic(), why.getMessage(), first);
      }
      refused.put(row.id(), why);
    }
    if (!refused.isEmpty()) {
      log.error(
          "relay {}: {} rows for topics missing or forbidden for {} or longer go to the"
              + " dead-letter topic: {}",
          relayName,
          refused.size(),
          timeout,
          refusals.keySet());
    }
    return new Publish(refused);
  }

  /** The topics among {@code topics} that cannot take a row now, with why; learns the others. */
  private Map<String, KafkaException> lookUp(Set<String> topics) throws InterruptedException {
    Map<String, KafkaFuture<TopicDescription>> described =
        admin()
            .describeTopics(topics, new DescribeTopicsOptions().includeAuthorizedOperations(true))
            .topicNameValues();
    Map<String, KafkaException> refusals = new HashMap<>();
    for (Map.Entry<String, KafkaFuture<TopicDescription>> e : described.entrySet()) {
      String topic = e.getKey();
      try {
        TopicDescription d = e.getValue().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Set<AclOperation> ops = d.authorizedOperations();
        if (ops != null && !ops.contains(AclOperation.WRITE) && !ops.contains(AclOperation.ALL)) {
          refusals.put(topic, forbidden(topic, null));
        } else {
          known.add(topic);
          refusedSince.remove(topic);
        }
      } catch (ExecutionException failed) {
        Throwable cause = failed.getCause();
        if (cause instanceof UnknownTopicOrPartitionException && !clusterCreatesTopics()) {
          refusals.put(
              topic,
              new UnknownTopicOrPartitionException(
                  "topic "
                      + topic
                      + " does not exist and the cluster does not create topics on first use"
                      + " (auto.create.topics.enable=false); create it, then replay the row from"
                      + " the dead-letter topic"));
        } else if (cause instanceof TopicAuthorizationException) {
          refusals.put(topic, forbidden(topic, cause));
        } else if (!(cause instanceof UnknownTopicOrPartitionException)) {
          // Cannot tell (a timeout, say): let the producer try, as it would without this check.
          log.debug("relay {}: could not describe topic {}: {}", relayName, topic, cause);
        }
      } catch (TimeoutException timedOut) {
        log.debug("relay {}: describing topic {} timed out", relayName, topic);
      }
    }
    return refusals;
  }

  private static KafkaException forbidden(String topic, Throwable cause) {
    TopicAuthorizationException e =
        new TopicAuthorizationException(
            "the relay's principal may not write topic "
                + topic
                + "; grant it WRITE on the topic, then replay the row from the dead-letter topic",
            Set.of(topic));
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }

  /**
   * Whether the brokers create a topic on its first use; asked once. When the relay may not read
   * the broker's configuration, it assumes they do, and a missing topic holds the relay as the
   * producer waits for it (the behaviour without this check).
   */
  private boolean clusterCreatesTopics() throws InterruptedException {
    if (clusterCreatesTopics == null) {
      try {
        String node =
            admin()
                .describeCluster()
                .nodes()
                .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .iterator()
                .next()
                .idString();
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, node);
        Config config =
            admin()
                .describeConfigs(List.of(broker))
                .all()
                .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .get(broker);
        clusterCreatesTopics =
            Optional.ofNullable(config.get("auto.create.topics.enable"))
                .map(ConfigEntry::value)
                .map(Boolean::parseBoolean)
                .orElse(true);
      } catch (ExecutionException | TimeoutException | RuntimeException e) {
        log.warn(
            "relay {}: could not read the brokers' auto.create.topics.enable ({}); a row for a"
                + " missing topic will hold the relay up; grant DESCRIBE_CONFIGS on the cluster",
            relayName,
            e.toString());
        clusterCreatesTopics = true;
      }
    }
    return clusterCreatesTopics;
  }

  private Admin admin() {
    if (admin == null) {
      admin = Admin.create(PositionStore.adminProperties(clientProperties));
    }
    return admin;
  }

  @Override
  public void close() {
    if (admin != null) {
      admin.close(Duration.ZERO);
    }
  }
}
