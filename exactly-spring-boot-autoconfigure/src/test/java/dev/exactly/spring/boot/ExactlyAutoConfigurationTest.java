package dev.exactly.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ComponentState;
import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.jdbc.sink.BatchHandler;
import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.Output;
import dev.exactly.processor.RecordProcessor;
import dev.exactly.spring.boot.ExactlyComponents.Kind;
import dev.exactly.spring.boot.internal.ComponentsHealth;
import dev.exactly.spring.boot.internal.ExactlyEndpoint;
import dev.exactly.spring.boot.internal.ExactlyFailureAnalyzer;
import dev.exactly.testkit.ExternalService;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The auto-configuration's beans for each kind of component: present with their properties and
 * beans, absent without, backed off for the user's own bean, and a bad property reported by name.
 * Components are built but not started (exactly.auto-startup=false): no broker is needed.
 */
class ExactlyAutoConfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(ExactlyAutoConfiguration.class))
          .withPropertyValues(
              "exactly.auto-startup=false",
              "exactly.instance-id=i1",
              "spring.kafka.bootstrap-servers=localhost:1");

  @Configuration(proxyBeanMethods = false)
  static class Scores {
    final List<String> customized = new ArrayList<>();

    @Bean
    RecordProcessor<String, String, String, String> scores() {
      return (record, out) -> out.send("scores", record.key(), record.value());
    }

    @Bean
    ExactlyCustomizer.Processor processorCustomizer() {
      return (name, builder) -> customized.add(name);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class H2 {
    @Bean
    DataSource dataSource() {
      JdbcDataSource ds = new JdbcDataSource();
      ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
      return ds;
    }

    @Bean
    DataSourceTransactionManager transactionManager(DataSource dataSource) {
      return new DataSourceTransactionManager(dataSource);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Blocks {
    @Bean
    IdempotentConsumer.Handler<String, String> blocks() {
      return record -> {};
    }
  }

  @Test
  void withoutPropertiesThereAreNoComponentsAndNoInstanceIdIsNeeded() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ExactlyAutoConfiguration.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(ExactlyComponents.class).entries()).isEmpty();
              assertThat(context).doesNotHaveBean(Outbox.class);
              assertThat(context).hasSingleBean(ComponentsHealth.class);
            });
  }

  @Test
  void processorIsBuiltFromItsPropertiesAndTheBeanOfItsNameAndCustomized() {
    runner
        .withUserConfiguration(Scores.class)
        .withPropertyValues(
            "exactly.processors.scores.input-topic=payments",
            "exactly.processors.scores.commit-interval=50ms")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              ExactlyComponents.Entry e = context.getBean(ExactlyComponents.class).get("scores");
              assertThat(e.kind()).isEqualTo(Kind.PROCESSOR);
              assertThat(e.group()).isEqualTo("scores");
              assertThat(e.instance()).isEqualTo("i1");
              assertThat(e.component()).isInstanceOf(ExactlyOnceProcessor.class);
              assertThat(e.component().state()).isEqualTo(ComponentState.CREATED);
              assertThat(context.getBean(Scores.class).customized).containsExactly("scores");
            });
  }

  @Test
  void processorWithoutItsBeanFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues("exactly.processors.scores.input-topic=payments")
        .run(
            context -> {
              assertThat(context).hasFailed();
              FailureAnalysis analysis =
                  new ExactlyFailureAnalyzer().analyze(context.getStartupFailure());
              assertThat(analysis.getDescription()).contains("exactly.processors.scores");
              assertThat(analysis.getAction())
                  .contains("declare a @Bean of type " + RecordProcessor.class.getName())
                  .contains("named 'scores'");
            });
  }

  @Test
  void aKafkaSettingThatContradictsTheGuaranteeFailsStartupWithPropertyValueAndFix() {
    runner
        .withUserConfiguration(Scores.class)
        .withPropertyValues(
            "exactly.processors.scores.input-topic=payments",
            "exactly.processors.scores.kafka.enable.auto.commit=true")
        .run(
            context -> {
              assertThat(context).hasFailed();
              FailureAnalysis analysis =
                  new ExactlyFailureAnalyzer().analyze(context.getStartupFailure());
              assertThat(analysis.getDescription())
                  .contains("exactly.processors.scores[enable.auto.commit]")
                  .contains("value true");
              assertThat(analysis.getAction()).contains("remove");
            });
  }

  @Test
  void aMissingInputTopicAndAnUnknownDedupKeyAreNamed() {
    runner
        .withUserConfiguration(Scores.class)
        .withPropertyValues("exactly.processors.scores.commit-interval=50ms")
        .run(
            context ->
                assertThat(new ExactlyFailureAnalyzer().analyze(context.getStartupFailure()))
                    .extracting(FailureAnalysis::getDescription)
                    .asString()
                    .contains("exactly.processors.scores.input-topic"));
    runner
        .withUserConfiguration(Blocks.class)
        .withPropertyValues(
            "exactly.consumers.blocks.input-topic=scores",
            "exactly.consumers.blocks.store=memory",
            "exactly.consumers.blocks.dedup-key=uuid")
        .run(
            context -> {
              FailureAnalysis analysis =
                  new ExactlyFailureAnalyzer().analyze(context.getStartupFailure());
              assertThat(analysis.getDescription())
                  .contains("exactly.consumers.blocks.dedup-key")
                  .contains("uuid");
              assertThat(analysis.getAction()).contains("header:<name>");
            });
  }

  @Test
  void withoutInstanceIdStartupFailsNamingIt() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ExactlyAutoConfiguration.class))
        .withUserConfiguration(Scores.class)
        .withPropertyValues(
            "exactly.auto-startup=false", "exactly.processors.scores.input-topic=payments")
        .run(
            context -> {
              if (System.getenv("HOSTNAME") == null) {
                assertThat(new ExactlyFailureAnalyzer().analyze(context.getStartupFailure()))
                    .extracting(FailureAnalysis::getDescription)
                    .asString()
                    .contains("exactly.instance-id");
              } else {
                assertThat(context.getBean(ExactlyComponents.class).get("scores").instance())
                    .isEqualTo(System.getenv("HOSTNAME"));
              }
            });
  }

  @Test
  void consumerKeepsKeysInTheDataSourceByDefault() {
    runner
        .withUserConfiguration(Blocks.class, H2.class)
        .withPropertyValues("exactly.consumers.blocks.input-topic=scores")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              ExactlyComponents.Entry e = context.getBean(ExactlyComponents.class).get("blocks");
              assertThat(e.kind()).isEqualTo(Kind.IDEMPOTENT_CONSUMER);
              assertThat(tables(context.getBean(DataSource.class))).contains("EXACTLY_DEDUP");
            });
  }

  @Test
  void theFailureAnalyzerIsRegisteredAndTheShutdownTimeoutIsBoots() throws Exception {
    // Read as Boot reads it; instantiating every analyzer would need a running context.
    List<String> analyzers = new ArrayList<>();
    var resources = getClass().getClassLoader().getResources("META-INF/spring.factories");
    while (resources.hasMoreElements()) {
      java.util.Properties factories = new java.util.Properties();
      try (var in = resources.nextElement().openStream()) {
        factories.load(in);
      }
      String names =
          factories.getProperty(
              org.springframework.boot.diagnostics.FailureAnalyzer.class.getName());
      if (names != null) {
        analyzers.addAll(List.of(names.split("\\s*,\\s*")));
      }
    }
    assertThat(analyzers).contains(ExactlyFailureAnalyzer.class.getName());
    runner
        .withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=7s")
        .run(
            context ->
                assertThat(context.getBean(ExactlyComponents.class).shutdownTimeout())
                    .isEqualTo(java.time.Duration.ofSeconds(7)));
  }

  @Test
  void closingTheContextClosesComponentsThatNeverStarted() {
    List<dev.exactly.Component> built = new ArrayList<>();
    runner
        .withUserConfiguration(Scores.class)
        .withPropertyValues("exactly.processors.scores.input-topic=payments")
        .run(
            context ->
                built.add(context.getBean(ExactlyComponents.class).get("scores").component()));
    assertThat(built)
        .singleElement()
        .extracting(dev.exactly.Component::state)
        .isEqualTo(ComponentState.CLOSED);
  }

  @Test
  void redisStoreNeedsItsUriAndUsesTheServer() {
    runner
        .withUserConfiguration(Blocks.class)
        .withPropertyValues(
            "exactly.consumers.blocks.input-topic=scores", "exactly.consumers.blocks.store=redis")
        .run(
            context ->
                assertThat(new ExactlyFailureAnalyzer().analyze(context.getStartupFailure()))
                    .extracting(FailureAnalysis::getDescription)
                    .asString()
                    .contains("exactly.redis.uri"));
    ExternalService.REDIS.assumeAvailable();
    runner
        .withUserConfiguration(Blocks.class)
        .withPropertyValues(
            "exactly.consumers.blocks.input-topic=scores",
            "exactly.consumers.blocks.store=redis",
            "exactly.redis.uri=" + ExternalService.REDIS.url(),
            "exactly.redis.key-prefix=spring-" + UUID.randomUUID() + ":")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(ExactlyComponents.class).get("blocks").kind())
                  .isEqualTo(Kind.IDEMPOTENT_CONSUMER);
            });
  }

  @Test
  void aKebabCaseNameFindsTheCamelCaseBean() {
    runner
        .withBean(
            "cardBlocks",
            IdempotentConsumer.Handler.class,
            () -> (IdempotentConsumer.Handler<String, String>) record -> {})
        .withPropertyValues(
            "exactly.consumers.card-blocks.input-topic=scores",
            "exactly.consumers.card-blocks.store=memory")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(ExactlyComponents.class).get("card-blocks").group())
                  .isEqualTo("card-blocks");
            });
  }

  @Test
  void consumerWithoutDataSourceOrStoreFailsStartupWithTheChoices() {
    runner
        .withUserConfiguration(Blocks.class)
        .withPropertyValues("exactly.consumers.blocks.input-topic=scores")
        .run(
            context -> {
              FailureAnalysis analysis =
                  new ExactlyFailureAnalyzer().analyze(context.getStartupFailure());
              assertThat(analysis.getDescription()).contains("exactly.consumers.blocks.store");
              assertThat(analysis.getAction()).contains("store=memory").contains("DedupStore");
            });
  }

  @Test
  void theUsersDedupStoreBeanIsUsedAndNotClosedByTheStarter() {
    InMemoryDedupStore store = InMemoryDedupStore.create(10);
    runner
        .withUserConfiguration(Blocks.class)
        .withBean(DedupStore.class, () -> store)
        .withPropertyValues("exactly.consumers.blocks.input-topic=scores")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(ExactlyComponents.class).get("blocks")).isNotNull();
            });
  }

  @Test
  void sinkIsBuiltOnTheDataSourceAroundItsBatchHandler() {
    runner
        .withUserConfiguration(H2.class)
        .withBean(
            "orders", BatchHandler.class, () -> (BatchHandler<String, String>) (records, c) -> {})
        .withPropertyValues("exactly.sinks.orders.topics=orders,refunds")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(ExactlyComponents.class).get("orders").kind())
                  .isEqualTo(Kind.DB_SINK);
            });
    runner
        .withUserConfiguration(H2.class)
        .withBean(
            "orders", BatchHandler.class, () -> (BatchHandler<String, String>) (records, c) -> {})
        .withPropertyValues("exactly.sinks.orders.group-id=g")
        .run(
            context ->
                assertThat(new ExactlyFailureAnalyzer().analyze(context.getStartupFailure()))
                    .extracting(FailureAnalysis::getDescription)
                    .asString()
                    .contains("exactly.sinks.orders.topics"));
  }

  @Test
  void outboxWriteJoinsTheSpringTransactionAndRollsBackWithIt() {
    runner
        .withUserConfiguration(H2.class)
        .run(
            context -> {
              SpringOutbox outbox = context.getBean(SpringOutbox.class);
              DataSource ds = context.getBean(DataSource.class);
              TransactionTemplate tx =
                  new TransactionTemplate(context.getBean(DataSourceTransactionManager.class));
              tx.executeWithoutResult(
                  s -> {
                    try {
                      outbox.write("notifications", "k1", "committed");
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                  });
              tx.executeWithoutResult(
                  s -> {
                    try {
                      outbox.write("notifications", "k2", "rolled back");
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                    s.setRollbackOnly();
                  });
              assertThat(count(ds, "exactly_outbox")).isEqualTo(1);
              assertThatThrownBy(() -> outbox.write("notifications", "k3", "no transaction"))
                  .isInstanceOf(IllegalStateException.class)
                  .hasMessageContaining("@Transactional");
            });
  }

  @Test
  void theUsersOutboxBeanWins() {
    Outbox mine = Outbox.builder().table("my_outbox").build();
    runner
        .withUserConfiguration(H2.class)
        .withBean(Outbox.class, () -> mine)
        .withPropertyValues("exactly.outbox.create-table=false")
        .run(
            context -> {
              assertThat(context.getBean(Outbox.class)).isSameAs(mine);
              assertThat(context.getBean(SpringOutbox.class).outbox()).isSameAs(mine);
            });
  }

  @Test
  void relayRunsOnlyWhenEnabled() {
    runner
        .withUserConfiguration(H2.class)
        .run(context -> assertThat(context.getBean(ExactlyComponents.class).entries()).isEmpty());
    runner
        .withUserConfiguration(H2.class)
        .withPropertyValues("exactly.outbox.relay.enabled=true", "exactly.outbox.relay.name=notes")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(ExactlyComponents.class).get("notes").kind())
                  .isEqualTo(Kind.OUTBOX_RELAY);
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class Listener {
    @ExactlyOnceListener(topic = "payments", group = "fraud-check")
    void score(ConsumerRecord<String, String> payment, Output<String, String> out) {
      out.send("scores", payment.key(), payment.value());
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class BadListener {
    @ExactlyOnceListener(topic = "payments", group = "fraud-check")
    void score(String payment) {}
  }

  @Test
  void listenerMethodBecomesAProcessorWithItsGroup() {
    runner
        .withBean("fraud", Listener.class)
        .withPropertyValues("exactly.processors.fraud-score.group-id=from-properties")
        .run(
            context ->
                assertThat(context.getBean(ExactlyComponents.class).get("fraud-score").group())
                    .isEqualTo("from-properties"));
    runner
        .withBean("fraud", Listener.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              ExactlyComponents.Entry e =
                  context.getBean(ExactlyComponents.class).get("fraud-score");
              assertThat(e.kind()).isEqualTo(Kind.PROCESSOR);
              assertThat(e.group()).isEqualTo("fraud-check");
            });
    runner
        .withBean("fraud", BadListener.class)
        .run(
            context ->
                assertThat(new ExactlyFailureAnalyzer().analyze(context.getStartupFailure()))
                    .extracting(FailureAnalysis::getAction)
                    .asString()
                    .contains("(ConsumerRecord<K, V> record, Output<OK, OV> out)"));
  }

  @Test
  void healthAndEndpointShowEachComponentsState() {
    runner
        .withUserConfiguration(Scores.class)
        .withPropertyValues("exactly.processors.scores.input-topic=payments")
        .run(
            context -> {
              ComponentsHealth health = context.getBean(ComponentsHealth.class);
              HealthIndicator scores = (HealthIndicator) health.getContributor("scores");
              assertThat(scores.health().getStatus()).isEqualTo(Status.UNKNOWN);
              assertThat(scores.health().getDetails()).containsEntry("state", "CREATED");
              assertThat(health.stream()).hasSize(1);
              ExactlyComponents components = context.getBean(ExactlyComponents.class);
              components.get("scores").component().close();
              assertThat(scores.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
              @SuppressWarnings("unchecked")
              List<Map<String, Object>> listed =
                  (List<Map<String, Object>>)
                      context.getBean(ExactlyEndpoint.class).components().get("components");
              assertThat(listed)
                  .singleElement()
                  .satisfies(
                      c ->
                          assertThat(c)
                              .containsEntry("name", "scores")
                              .containsEntry("kind", "processor")
                              .containsEntry("state", "CLOSED"));
            });
  }

  @Test
  void endpointAndHealthShowAnIdempotentConsumersStorePingedWhenAsked() {
    runner
        .withUserConfiguration(Blocks.class)
        .withPropertyValues(
            "exactly.consumers.blocks.input-topic=payments",
            "exactly.consumers.blocks.store=memory")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              HealthIndicator blocks =
                  (HealthIndicator)
                      context.getBean(ComponentsHealth.class).getContributor("blocks");
              assertThat(blocks.health().getStatus()).isEqualTo(Status.UNKNOWN);
              assertThat(blocks.health().getDetails())
                  .containsEntry("store", Map.of("name", "memory", "status", "UP"));
              assertThat(endpointEntry(context, "blocks"))
                  .containsEntry("store", Map.of("name", "memory", "status", "UP"));

              // A closed memory store has lost its keys: the next probe says so.
              IdempotentConsumer consumer =
                  (IdempotentConsumer)
                      context.getBean(ExactlyComponents.class).get("blocks").component();
              consumer.store().close();
              assertThat(blocks.health().getStatus()).isEqualTo(Status.DOWN);
              assertThat(endpointEntry(context, "blocks"))
                  .extracting(c -> c.get("store"))
                  .isEqualTo(
                      Map.of(
                          "name",
                          "memory",
                          "status",
                          "DOWN",
                          "error",
                          "the in-memory dedup store is closed; its entries are gone"));
            });
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> endpointEntry(
      org.springframework.context.ApplicationContext context, String name) {
    List<Map<String, Object>> listed =
        (List<Map<String, Object>>)
            context.getBean(ExactlyEndpoint.class).components().get("components");
    return listed.stream().filter(c -> name.equals(c.get("name"))).findFirst().orElseThrow();
  }

  private static List<String> tables(DataSource ds) throws Exception {
    List<String> names = new ArrayList<>();
    try (Connection c = ds.getConnection();
        ResultSet rs = c.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
      while (rs.next()) {
        names.add(rs.getString("TABLE_NAME"));
      }
    }
    return names;
  }

  private static int count(DataSource ds, String table) throws Exception {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from " + table)) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
