package dev.exactly.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class one {@link EmbeddedKafka} broker, started before its first test and closed
 * after its last. Use it either way:
 *
 * <pre>{@code
 * @ExtendWith(EmbeddedKafkaExtension.class)
 * class OrdersTest {
 *   @Test void works(EmbeddedKafka kafka) { ... }
 * }
 *
 * class PaymentsTest {
 *   @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();
 *   @Test void works() { KAFKA.broker().createTopic("payments", 6); }
 * }
 * }</pre>
 *
 * Tests in one class share the broker, so give each test its own topic and group names.
 */
public final class EmbeddedKafkaExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private final ClassScoped<EmbeddedKafka> broker =
      new ClassScoped<>(EmbeddedKafka.class, EmbeddedKafka::start);

  /** The running broker. */
  public EmbeddedKafka broker() {
    return broker.get();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    broker.open(context);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    broker.close(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return broker.supports(parameter);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return broker.get();
  }
}
