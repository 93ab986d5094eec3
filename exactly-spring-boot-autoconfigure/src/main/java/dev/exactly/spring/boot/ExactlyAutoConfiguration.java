package dev.exactly.spring.boot;

import dev.exactly.dedup.DedupStore;
import dev.exactly.dedup.InMemoryDedupStore;
import dev.exactly.jdbc.JdbcDedupStore;
import dev.exactly.jdbc.outbox.Outbox;
import dev.exactly.redis.RedisDedupStore;
import dev.exactly.spring.boot.internal.Builds;
import dev.exactly.spring.boot.internal.ComponentsHealth;
import dev.exactly.spring.boot.internal.CoreComponents;
import dev.exactly.spring.boot.internal.ExactlyEndpoint;
import dev.exactly.spring.boot.internal.JdbcComponents;
import dev.exactly.spring.boot.internal.KafkaSettings;
import dev.exactly.spring.boot.internal.ListenerMethods;
import dev.exactly.spring.boot.internal.Registrar;
import dev.exactly.spring.boot.internal.StoreFactory;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.datasource.DataSourceUtils;

/**
 * Builds every Exactly component named under {@code exactly.*} around the user's beans, runs them
 * with the context's lifecycle, and reports them to Boot's meter registry, health and the {@code
 * exactly} Actuator endpoint. Components are built once all singletons exist, so a missing bean or
 * a bad property fails the refresh with a report naming the property; they start in the last
 * lifecycle phase.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@EnableConfigurationProperties(ExactlyProperties.class)
public class ExactlyAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public static ListenerMethods exactlyListenerMethods(BeanFactory beans) {
    return new ListenerMethods(beans);
  }

  @Bean
  @ConditionalOnMissingBean
  public ExactlyComponents exactlyComponents(Environment env, ExactlyProperties props) {
    Duration timeout =
        Binder.get(env)
            .bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
            .orElse(Duration.ofSeconds(30));
    return new ExactlyComponents(timeout, props.isAutoStartup());
  }

  @Bean
  @ConditionalOnMissingBean
  public CoreComponents exactlyCoreComponents(
      ExactlyProperties props,
      Environment env,
      BeanFactory beans,
      ObjectProvider<MeterRegistry> meters,
      ObjectProvider<ExactlyCustomizer.Processor> processorCustomizers,
      ObjectProvider<ExactlyCustomizer.Consumer> consumerCustomizers) {
    return new CoreComponents(
        beans,
        KafkaSettings.shared(env, props.getKafka()),
        instanceIds(props),
        meters.getIfUnique(),
        processorCustomizers.orderedStream().toList(),
        consumerCustomizers.orderedStream().toList());
  }

  /** Processors of exactly.processors.* not claimed by a listener method, and the consumers. */
  @Bean
  @Order(0)
  public Registrar exactlyCoreRegistrar(
      ExactlyProperties props,
      CoreComponents core,
      ObjectProvider<ListenerMethods> listeners,
      ObjectProvider<DedupStore> userStore,
      ObjectProvider<StoreFactory> storeFactories) {
    return registry -> {
      ListenerMethods l = listeners.getIfAvailable();
      Set<String> claimed = l == null ? Set.of() : l.names();
      props
          .getProcessors()
          .forEach(
              (name, p) -> {
                if (!claimed.contains(name)) {
                  core.processor(registry, name, p);
                }
              });
      List<StoreFactory> factories = storeFactories.orderedStream().toList();
      props
          .getConsumers()
          .forEach(
              (name, c) ->
                  core.consumer(
                      registry,
                      name,
                      c,
                      consumer ->
                          store(
                              registry,
                              "exactly.consumers." + name,
                              consumer,
                              userStore,
                              factories)));
    };
  }

  // The user's DedupStore bean wins over the starter's choice only for consumers left on AUTO.
  private static DedupStore store(
      ExactlyComponents registry,
      String prefix,
      ExactlyProperties.Consumer c,
      ObjectProvider<DedupStore> userStore,
      List<StoreFactory> factories) {
    ExactlyProperties.StoreType type = c.getStore();
    if (type == ExactlyProperties.StoreType.AUTO) {
      DedupStore user = userStore.getIfUnique();
      if (user != null) {
        return user;
      }
      type = ExactlyProperties.StoreType.JDBC;
      if (factories.stream().noneMatch(f -> f.type() == ExactlyProperties.StoreType.JDBC)) {
        throw new ExactlyStartupException(
            prefix + ".store",
            "auto",
            "no DataSource (or exactly-jdbc) and no DedupStore bean to keep dedup keys in: add"
                + " spring-boot-starter-jdbc and a database, declare a DedupStore bean, or set"
                + " store=redis (exactly.redis.uri) or store=memory (tests only: forgotten on"
                + " restart)",
            null);
      }
    }
    DedupStore store;
    if (type == ExactlyProperties.StoreType.MEMORY) {
      store = InMemoryDedupStore.create(c.getMemoryMaxEntries());
    } else {
      ExactlyProperties.StoreType wanted = type;
      StoreFactory factory =
          factories.stream().filter(f -> f.type() == wanted).findFirst().orElse(null);
      if (factory == null) {
        throw new ExactlyStartupException(
            prefix + ".store",
            type.name().toLowerCase(java.util.Locale.ROOT),
            type == ExactlyProperties.StoreType.JDBC
                ? "needs exactly-jdbc and one DataSource bean (spring-boot-starter-jdbc)"
                : "needs dev.exactly:exactly-redis on the class path",
            null);
      }
      store = factory.create(prefix, c);
    }
    registry.closeAfterComponents(store);
    return store;
  }

  /** Runs every registrar once all singletons exist. */
  @Bean
  public static SmartInitializingSingleton exactlyRegistration(BeanFactory beans) {
    return () -> {
      ExactlyComponents registry = beans.getBean(ExactlyComponents.class);
      beans.getBeanProvider(Registrar.class).orderedStream().forEach(r -> r.registerAll(registry));
    };
  }

  private static Supplier<String> instanceIds(ExactlyProperties props) {
    return () -> Builds.instanceId(props, System.getenv());
  }

  /** Sinks, the outbox and its relay, and the JDBC dedup store, on the application's DataSource. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({JdbcDedupStore.class, DataSourceUtils.class})
  @ConditionalOnSingleCandidate(DataSource.class)
  public static class JdbcConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public Outbox exactlyOutbox(ExactlyProperties props) {
      return Outbox.builder().table(props.getOutbox().getTable()).build();
    }

    @Bean
    @ConditionalOnMissingBean
    public SpringOutbox exactlySpringOutbox(Outbox outbox, DataSource dataSource) {
      return new SpringOutbox(outbox, dataSource);
    }

    @Bean
    @ConditionalOnMissingBean
    public JdbcComponents exactlyJdbcComponents(
        ExactlyProperties props,
        Environment env,
        BeanFactory beans,
        DataSource dataSource,
        ObjectProvider<MeterRegistry> meters,
        ObjectProvider<ExactlyJdbcCustomizer.Sink> sinkCustomizers,
        ObjectProvider<ExactlyJdbcCustomizer.Relay> relayCustomizers) {
      return new JdbcComponents(
          beans,
          KafkaSettings.shared(env, props.getKafka()),
          instanceIds(props),
          meters.getIfUnique(),
          dataSource,
          sinkCustomizers.orderedStream().toList(),
          relayCustomizers.orderedStream().toList());
    }

    @Bean
    public StoreFactory exactlyJdbcStores(JdbcComponents jdbc) {
      return new StoreFactory() {
        @Override
        public ExactlyProperties.StoreType type() {
          return ExactlyProperties.StoreType.JDBC;
        }

        @Override
        public DedupStore create(String prefix, ExactlyProperties.Consumer consumer) {
          return jdbc.dedupStore(prefix, consumer);
        }
      };
    }

    @Bean
    @Order(1)
    public Registrar exactlyJdbcRegistrar(
        ExactlyProperties props, JdbcComponents jdbc, Outbox outbox, DataSource dataSource) {
      return registry -> {
        if (props.getOutbox().isCreateTable()) {
          createOutboxTable(outbox, dataSource);
        }
        props.getSinks().forEach((name, s) -> jdbc.sink(registry, name, s));
        if (props.getOutbox().getRelay().isEnabled()) {
          jdbc.relay(registry, props.getOutbox());
        }
      };
    }

    private static void createOutboxTable(Outbox outbox, DataSource dataSource) {
      try (Connection c = dataSource.getConnection()) {
        outbox.createTableIfAbsent(c);
        if (!c.getAutoCommit()) {
          c.commit();
        }
      } catch (SQLException e) {
        throw new ExactlyStartupException(
            "exactly.outbox.create-table",
            true,
            "creating the outbox table "
                + outbox.table()
                + " failed ("
                + e.getMessage()
                + "); create it with db/exactly/outbox-<database>.sql and set"
                + " exactly.outbox.create-table=false",
            e);
      }
    }
  }

  /** The Redis dedup store, for consumers with store=redis. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(RedisDedupStore.class)
  public static class RedisConfiguration {
    @Bean
    public StoreFactory exactlyRedisStores(ExactlyProperties props) {
      return new StoreFactory() {
        @Override
        public ExactlyProperties.StoreType type() {
          return ExactlyProperties.StoreType.REDIS;
        }

        @Override
        public DedupStore create(String prefix, ExactlyProperties.Consumer consumer) {
          String uri =
              Builds.required("exactly.redis.uri", props.getRedis().getUri(), "the Redis URI");
          return Builds.named(
              prefix,
              () ->
                  RedisDedupStore.builder(uri).keyPrefix(props.getRedis().getKeyPrefix()).build());
        }
      };
    }
  }

  /** A health indicator per component, under {@code exactly}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  public static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "exactlyHealthContributor")
    public ComponentsHealth exactlyHealthContributor(ExactlyComponents components) {
      return new ComponentsHealth(components);
    }
  }

  /** The {@code exactly} Actuator endpoint. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(Endpoint.class)
  public static class EndpointConfiguration {
    @Bean
    @ConditionalOnMissingBean
    public ExactlyEndpoint exactlyEndpoint(
        ExactlyComponents components, ObjectProvider<MeterRegistry> meters) {
      return new ExactlyEndpoint(components, meters.getIfUnique());
    }
  }
}
