package dev.exactly.dedup;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up check that the store remembers keys at least as long as the input topic keeps
 * records: otherwise a replay from further back (a reset offset, a new group) runs effects again.
 * Its verdict is a log line and the {@code exactly.dedup.retention.short} gauge.
 */
final class RetentionCheck {
  private static final Logger log = LoggerFactory.getLogger(RetentionCheck.class);

  private RetentionCheck() {}

  static void run(ConsumerSettings<?, ?> s, DedupMetrics metrics) {
    Map<String, Object> p = new HashMap<>();
    s.userProperties()
        .forEach(
            (k, v) -> {
              if (AdminClientConfig.configNames().contains(k)) {
                p.put(k, v);
              }
            });
    p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "exactly-dedup-admin-" + s.groupId());
    try (Admin admin = Admin.create(p)) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, s.topic());
      Config config =
          admin.describeConfigs(List.of(resource)).all().get(15, TimeUnit.SECONDS).get(resource);
      ConfigEntry entry = config == null ? null : config.get(TopicConfig.RETENTION_MS_CONFIG);
      if (entry == null || entry.value() == null) {
        return;
      }
      long topicRetention = Long.parseLong(entry.value());
      boolean isShort = topicRetention < 0 || topicRetention > s.retention().toMillis();
      metrics.retentionCheck.set(
          isShort ? DedupMetrics.RETENTION_SHORT : DedupMetrics.RETENTION_OK);
      if (isShort) {
        log.warn(
            "{}: dedup retention {} is shorter than topic {}'s retention.ms={} ({}): a replay"
                + " from further back (a reset offset, a new group) would run effects again;"
                + " raise the retention to at least the topic's",
            s.groupId(),
            s.retention(),
            s.topic(),
            topicRetention,
            topicRetention < 0 ? "forever" : Duration.ofMillis(topicRetention));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.info(
          "{}: could not read topic {}'s retention.ms to compare: {}",
          s.groupId(),
          s.topic(),
          e.toString());
    }
  }
}
