package dev.exactly.testkit;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class one {@link KafkaCluster} of child-JVM brokers, shared by its tests:
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaClusterExtension CLUSTER = KafkaClusterExtension.brokers(3);
 * }</pre>
 *
 * A test that kills brokers should {@link KafkaCluster#restart restart} them and {@link
 * KafkaCluster#awaitHealthy() await health} before it ends, so the next test starts whole.
 */
public final class KafkaClusterExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private final ClassScoped<KafkaCluster> cluster;

  private KafkaClusterExtension(UnaryOperator<KafkaCluster.Builder> options) {
    this.cluster =
        new ClassScoped<>(KafkaCluster.class, () -> options.apply(KafkaCluster.builder()).start());
  }

  public static KafkaClusterExtension brokers(int count) {
    KafkaCluster.builder().brokers(count); // fail at the field, not at the first test
    return new KafkaClusterExtension(b -> b.brokers(count));
  }

  /** A cluster built with the given options, for broker settings or JVM options. */
  public static KafkaClusterExtension of(UnaryOperator<KafkaCluster.Builder> options) {
    return new KafkaClusterExtension(options);
  }

  public KafkaCluster cluster() {
    return cluster.get();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    cluster.open(context);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    cluster.close(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return cluster.supports(parameter);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return cluster.get();
  }
}
