package dev.exactly.internal;

import dev.exactly.ConfigurationException;
import java.time.Duration;
import java.util.Objects;

/**
 * What a component checks before it reports a state past {@code STARTING}: how long it waits for
 * the cluster to answer, whether its input topics must exist, and whether it creates missing
 * dead-letter topics. The same three builder settings on every component; {@link StartCheck} acts
 * on them.
 *
 * @param timeout how long {@code start()} waits for the cluster to answer, for each call it makes
 * @param requireExistingTopics whether a missing input topic refuses the start (otherwise the
 *     consumer waits for it)
 * @param createTopics whether a missing dead-letter topic is created (otherwise it refuses the
 *     start)
 */
public record StartPolicy(Duration timeout, boolean requireExistingTopics, boolean createTopics) {
  /** 30 s; input topics must exist; dead-letter topics are not created. */
  public static final StartPolicy DEFAULT = new StartPolicy(Duration.ofSeconds(30), true, false);

  public StartPolicy {
    Objects.requireNonNull(timeout, "startTimeout");
  }

  /**
   * @param key the setting's path in messages, for example {@code processor.startTimeout}
   * @throws ConfigurationException when {@code timeout} is not positive
   */
  public StartPolicy withTimeout(String key, Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new ConfigurationException(key, timeout, "must be a positive duration, e.g. 30 s");
    }
    return new StartPolicy(timeout, requireExistingTopics, createTopics);
  }

  public StartPolicy withRequireExistingTopics(boolean require) {
    return new StartPolicy(timeout, require, createTopics);
  }

  public StartPolicy withCreateTopics(boolean create) {
    return new StartPolicy(timeout, requireExistingTopics, create);
  }
}
