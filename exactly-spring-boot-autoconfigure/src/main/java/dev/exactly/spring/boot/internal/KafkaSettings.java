package dev.exactly.spring.boot.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The Kafka client properties every component starts from: Boot's {@code spring.kafka.*} connection
 * settings (bootstrap servers, client id, security protocol, SSL and {@code
 * spring.kafka.properties.*}, which is where SASL goes), passed through untouched, then {@code
 * exactly.kafka.*} over them. Read from the Environment, so Spring Kafka need not be on the class
 * path. Producer- and consumer-specific {@code spring.kafka.producer/consumer.*} are not taken: the
 * engines set what the guarantee needs themselves.
 */
public final class KafkaSettings {
  private KafkaSettings() {}

  private static final Map<String, String> SSL =
      Map.of(
          "key-password", "ssl.key.password",
          "key-store-location", "ssl.keystore.location",
          "key-store-password", "ssl.keystore.password",
          "key-store-type", "ssl.keystore.type",
          "trust-store-location", "ssl.truststore.location",
          "trust-store-password", "ssl.truststore.password",
          "trust-store-type", "ssl.truststore.type",
          "protocol", "ssl.protocol");

  /** The shared properties, without any one component's own. */
  public static Map<String, Object> shared(Environment env, Map<String, String> exactlyKafka) {
    Binder binder = Binder.get(env);
    Map<String, Object> props = new LinkedHashMap<>();
    binder
        .bind("spring.kafka.bootstrap-servers", Bindable.listOf(String.class))
        .ifBound(servers -> props.put("bootstrap.servers", String.join(",", servers)));
    binder.bind("spring.kafka.client-id", String.class).ifBound(id -> props.put("client.id", id));
    binder
        .bind("spring.kafka.security.protocol", String.class)
        .ifBound(p -> props.put("security.protocol", p));
    for (Map.Entry<String, String> ssl : SSL.entrySet()) {
      binder
          .bind("spring.kafka.ssl." + ssl.getKey(), String.class)
          .ifBound(v -> props.put(ssl.getValue(), stripFilePrefix(v)));
    }
    binder
        .bind("spring.kafka.properties", Bindable.mapOf(String.class, String.class))
        .ifBound(props::putAll);
    props.putAll(exactlyKafka);
    return props;
  }

  /** {@code shared} with one component's own properties over it. */
  public static Map<String, Object> forComponent(
      Map<String, Object> shared, Map<String, String> own) {
    Map<String, Object> props = new LinkedHashMap<>(shared);
    props.putAll(own);
    return props;
  }

  // Kafka reads a path; Boot's SSL locations are resources. Only file resources can be handed over.
  private static String stripFilePrefix(String location) {
    return location.startsWith("file:") ? location.substring("file:".length()) : location;
  }

  /** Whether the properties name a cluster at all. */
  public static boolean hasBootstrapServers(Map<String, Object> props) {
    Object servers = props.get("bootstrap.servers");
    return servers != null && !List.of("").contains(servers.toString().trim());
  }
}
