package dev.exactly.cli;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

/**
 * What a running cluster says about itself over the Admin API: one broker's effective configuration
 * (defaults included) and the finalized feature levels.
 */
record ClusterFacts(
    int brokers, int brokerId, Map<String, String> brokerConfig, Map<String, Short> features) {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  static ClusterFacts read(Admin admin) throws Exception {
    Collection<Node> nodes =
        admin.describeCluster().nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    if (nodes.isEmpty()) {
      throw new IllegalStateException("the cluster reports no brokers");
    }
    Node first = nodes.stream().min(java.util.Comparator.comparingInt(Node::id)).orElseThrow();
    ConfigResource resource =
        new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(first.id()));
    Config config =
        admin
            .describeConfigs(List.of(resource))
            .all()
            .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .get(resource);
    Map<String, String> brokerConfig = new HashMap<>();
    for (ConfigEntry e : config.entries()) {
      if (e.value() != null) {
        brokerConfig.put(e.name(), e.value());
      }
    }
    FeatureMetadata fm =
        admin.describeFeatures().featureMetadata().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    Map<String, Short> features = new HashMap<>();
    fm.finalizedFeatures().forEach((name, range) -> features.put(name, range.maxVersionLevel()));
    return new ClusterFacts(nodes.size(), first.id(), brokerConfig, features);
  }
}
