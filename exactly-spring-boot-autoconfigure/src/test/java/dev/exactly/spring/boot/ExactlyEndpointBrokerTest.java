package dev.exactly.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.exactly.ComponentState;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.spring.boot.internal.ComponentsHealth;
import dev.exactly.spring.boot.internal.ExactlyEndpoint;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TopicWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code exactly} endpoint and health of an idempotent consumer on a real broker, its dedup
 * keys in H2 through HikariCP: the lag while its handler is held and after it drains, and its dedup
 * store UP, then DOWN once the pool is closed under it.
 */
class ExactlyEndpointBrokerTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  static final CountDownLatch RELEASE = new CountDownLatch(1);
  static final AtomicInteger HANDLED = new AtomicInteger();
  private static final Duration WAIT = Duration.ofSeconds(90);

  @Configuration(proxyBeanMethods = false)
  static class App {
    @Bean
    HikariDataSource dataSource() {
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
      config.setConnectionTimeout(1000);
      return new HikariDataSource(config);
    }

    @Bean
    SimpleMeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }

    @Bean
    IdempotentConsumer.Handler<String, String> charges() {
      return record -> {
        RELEASE.await();
        HANDLED.incrementAndGet();
      };
    }
  }

  @Test
  void endpointShowsTheConsumersLagAndItsStoreUpThenDown() {
    String bootstrap = KAFKA.broker().bootstrapServers();
    KAFKA.broker().createTopic("charges", 1);
    int n = 100;
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ExactlyAutoConfiguration.class))
        .withUserConfiguration(App.class)
        .withPropertyValues(
            "spring.kafka.bootstrap-servers=" + bootstrap,
            "spring.lifecycle.timeout-per-shutdown-phase=20s",
            "exactly.instance-id=i1",
            "exactly.consumers.charges.input-topic=charges",
            "exactly.consumers.charges.store=jdbc",
            "exactly.consumers.charges.create-topics=true",
            "exactly.consumers.charges.kafka.max.poll.records=10")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              try {
                send(bootstrap, n);
                // The handler holds the first record of a 10-record poll: 90 or more lie behind.
                await().atMost(WAIT).until(() -> lag(charges(context)) >= n - 10);
                Map<String, Object> held = charges(context);
                assertThat(held).containsEntry("state", "RUNNING");
                assertThat(store(held))
                    .containsEntry("name", "h2:exactly_dedup")
                    .containsEntry("status", "UP")
                    .doesNotContainKey("error");
                assertThat(health(context).getStatus()).isEqualTo(Status.UP);
              } finally {
                RELEASE.countDown();
              }
              await().atMost(WAIT).until(() -> HANDLED.get() == n);
              await().atMost(WAIT).until(() -> lag(charges(context)) == 0.0);

              context.getBean(HikariDataSource.class).close();

              Map<String, Object> down = charges(context);
              assertThat(down).containsEntry("state", "RUNNING");
              assertThat(store(down)).containsEntry("status", "DOWN");
              assertThat((String) store(down).get("error"))
                  .contains("dedup store h2:exactly_dedup did not answer a ping")
                  .contains("has been closed")
                  .doesNotContain("\tat ");
              Health health = health(context);
              assertThat(health.getStatus()).isEqualTo(Status.DOWN);
              assertThat(health.getDetails())
                  .containsEntry("state", "RUNNING")
                  .containsEntry("store", store(down));
              assertThat(
                      context.getBean(ExactlyComponents.class).get("charges").component().state())
                  .isEqualTo(ComponentState.RUNNING);
            });
  }

  private static void send(String bootstrap, int n) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        records.add(new ProducerRecord<>("charges", "k" + i, "v" + i));
      }
      TopicWriter.sendAll(producer, records);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> charges(ApplicationContext context) {
    List<Map<String, Object>> listed =
        (List<Map<String, Object>>)
            context.getBean(ExactlyEndpoint.class).components().get("components");
    return listed.stream().filter(c -> "charges".equals(c.get("name"))).findFirst().orElseThrow();
  }

  private static double lag(Map<String, Object> component) {
    Object lag = component.get("exactly.lag");
    return lag == null ? -1 : (Double) lag;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> store(Map<String, Object> component) {
    return (Map<String, Object>) component.get("store");
  }

  private static Health health(ApplicationContext context) {
    return ((HealthIndicator) context.getBean(ComponentsHealth.class).getContributor("charges"))
        .health();
  }
}
