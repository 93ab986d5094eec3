package dev.exactly.testkit;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Kafka's two consumer group protocols, for tests that must hold under both. A test passes the
 * choice to a component the way a user would, as {@code group.protocol} in its Kafka properties
 * ({@link #applyTo}).
 *
 * <p>Under {@link #CONSUMER} (KIP-848) the broker owns the session, the heartbeat and the assignor:
 * kafka-clients refuses {@code session.timeout.ms}, {@code heartbeat.interval.ms} and {@code
 * partition.assignment.strategy} with a {@code ConfigException}, so a test tunes those under {@link
 * #CLASSIC} only ({@link #isClassic}). The testkit's brokers keep that session at {@link
 * #CONSUMER_SESSION_TIMEOUT}.
 */
public enum GroupProtocol {
  CLASSIC,
  CONSUMER;

  /** The consumer property that chooses the protocol. */
  public static final String CONFIG = "group.protocol";

  /**
   * {@code group.consumer.session.timeout.ms} of every testkit broker: how long a killed member
   * holds its partitions (and its static {@code group.instance.id}) under {@link #CONSUMER}.
   */
  public static final Duration CONSUMER_SESSION_TIMEOUT = Duration.ofSeconds(10);

  /** The value a user writes: {@code classic} or {@code consumer}. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the client may set its own session, heartbeat and assignor. */
  public boolean isClassic() {
    return this == CLASSIC;
  }

  /** Puts {@code group.protocol} into Kafka properties (a Map or Properties); returns them. */
  public <M extends Map<? super String, ? super String>> M applyTo(M kafkaProperties) {
    kafkaProperties.put(CONFIG, value());
    return kafkaProperties;
  }

  /** The protocol named {@code value} in any case, as {@link #value()} writes it. */
  public static GroupProtocol of(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
