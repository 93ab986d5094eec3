package dev.exactly.examples;

import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.KafkaClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The extensions snippet of docs/testkit.md. No test methods, so JUnit never runs the class and its
 * three-broker cluster never starts; the build only compiles it.
 */
final class TestkitExtensionsSnippet {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();
  @RegisterExtension static final KafkaClusterExtension CLUSTER = KafkaClusterExtension.brokers(3);

  private TestkitExtensionsSnippet() {}
}
