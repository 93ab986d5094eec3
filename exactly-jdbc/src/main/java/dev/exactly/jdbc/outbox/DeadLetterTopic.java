package dev.exactly.jdbc.outbox;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the relay's dead-letter topic before the first batch. Left to the broker's auto-creation,
 * the first dead letter would wait for the topic inside an open transaction (seen to stall the
 * commit for minutes on a busy machine), and a broker that does not auto-create topics would make
 * every batch holding a refused row abort and retry forever.
 */
final class DeadLetterTopic {
  private static final Logger log = LoggerFactory.getLogger(DeadLetterTopic.class);

  private DeadLetterTopic() {}

  /**
   * Creates {@code topic} with the broker's default partitions, replicated as {@link RelayTopics}
   * says, if absent.
   */
  static void createIfAbsent(String topic, Map<String, ?> clientProperties)
      throws InterruptedException {
    Map<String, Object> props = new HashMap<>();
    // Connection and security settings pass through untouched; nothing else is an admin setting.
    clientProperties.forEach(
        (k, v) -> {
          if (AdminClientConfig.configNames().contains(k)) {
            props.put(k, v);
          }
        });
    try (Admin admin = Admin.create(props)) {
      RelayTopics.create(admin, topic, Optional.empty(), Map.of());
      log.info("created the outbox dead-letter topic {}", topic);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        // Not fatal: the topic may be created by someone else, or by the broker on first use.
        log.warn(
            "could not create the outbox dead-letter topic {} ({}); create it before a row is"
                + " refused, or a batch holding that row will wait for it",
            topic,
            e.getCause().toString());
      }
    }
  }
}
