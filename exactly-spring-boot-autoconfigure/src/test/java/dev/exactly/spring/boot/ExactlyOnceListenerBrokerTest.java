package dev.exactly.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactly.ComponentState;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.processor.Output;
import dev.exactly.spring.boot.internal.ComponentsHealth;
import dev.exactly.spring.boot.internal.ExactlyEndpoint;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.InputGenerator;
import dev.exactly.testkit.check.RecordCodec;
import dev.exactly.testkit.check.TopicEffects;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A Boot context on a real broker and H2: an {@code @ExactlyOnceListener} copies check inputs
 * exactly once, and an idempotent consumer configured from properties (its dedup keys in H2) acts
 * on each copy once; the context's shutdown closes both.
 */
class ExactlyOnceListenerBrokerTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  static final Map<String, Integer> EFFECTS = new ConcurrentHashMap<>();

  @Configuration(proxyBeanMethods = false)
  static class App {
    @Bean
    DataSource dataSource() {
      JdbcDataSource ds = new JdbcDataSource();
      ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
      return ds;
    }

    @Bean
    SimpleMeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }

    @Bean
    Copier copier() {
      return new Copier();
    }

    @Bean
    IdempotentConsumer.Handler<String, byte[]> effects() {
      return record ->
          EFFECTS.merge(RecordCodec.decodeOutput(record.value()).input().id(), 1, Integer::sum);
    }
  }

  static class Copier {
    @ExactlyOnceListener(topic = "spring-in", group = "spring-copy", name = "copy")
    void copy(ConsumerRecord<String, byte[]> record, Output<String, byte[]> out) {
      Input input = RecordCodec.decodeInput(record.value());
      out.send("spring-out", record.key(), RecordCodec.encodeOutput(input, "i1-b" + out.batch()));
    }
  }

  @Test
  void listenerCopiesEachInputOnceAndTheConsumerActsOnEachCopyOnce() {
    String bootstrap = KAFKA.broker().bootstrapServers();
    KAFKA.broker().createTopic("spring-in", 3);
    KAFKA.broker().createTopic("spring-out", 3);
    List<Input> inputs = InputGenerator.generate(3000, 100, 7);
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ExactlyAutoConfiguration.class))
        .withUserConfiguration(App.class)
        .withPropertyValues(
            "spring.kafka.bootstrap-servers=" + bootstrap,
            "spring.lifecycle.timeout-per-shutdown-phase=20s",
            "exactly.instance-id=i1",
            "exactly.processors.copy.value-deserializer=" + ByteArrayDeserializer.class.getName(),
            "exactly.processors.copy.value-serializer=" + ByteArraySerializer.class.getName(),
            "exactly.processors.copy.create-topics=true",
            "exactly.consumers.effects.input-topic=spring-out",
            "exactly.consumers.effects.value-deserializer=" + ByteArrayDeserializer.class.getName(),
            "exactly.consumers.effects.create-topics=true")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              ExactlyComponents components = context.getBean(ExactlyComponents.class);
              InputGenerator.produce(bootstrap, "spring-in", inputs, 40, 0);
              await()
                  .atMost(Duration.ofSeconds(90))
                  .pollInterval(Duration.ofMillis(300))
                  .until(() -> EFFECTS.size() >= inputs.size());
              assertThat(components.get("copy").component().state())
                  .isEqualTo(ComponentState.RUNNING);
              assertThat(components.get("effects").component().state())
                  .isEqualTo(ComponentState.RUNNING);
              // Boot's registry gets the meters; health and the endpoint see the live state.
              MeterRegistry meters = context.getBean(MeterRegistry.class);
              assertThat(
                      meters
                          .get("exactly.records.in")
                          .tag("component", "processor")
                          .tag("group", "spring-copy")
                          .counter()
                          .count())
                  .isGreaterThanOrEqualTo(inputs.size());
              ComponentsHealth health = context.getBean(ComponentsHealth.class);
              assertThat(((HealthIndicator) health.getContributor("copy")).health().getStatus())
                  .isEqualTo(Status.UP);
              @SuppressWarnings("unchecked")
              List<Map<String, Object>> listed =
                  (List<Map<String, Object>>)
                      context.getBean(ExactlyEndpoint.class).components().get("components");
              assertThat(listed)
                  .filteredOn(c -> "copy".equals(c.get("name")))
                  .singleElement()
                  .satisfies(c -> assertThat(c).containsKey("exactly.lag"));
            });
    new ExactlyOnceChecker(inputs)
        .check(new TopicEffects(bootstrap, "spring-out"))
        .assertExactlyOnce();
    assertThat(EFFECTS).hasSize(inputs.size());
    assertThat(EFFECTS.values()).containsOnly(1);
  }
}
