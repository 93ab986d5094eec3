package dev.exactly.cli.demo;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code key=value} arguments a stage's child JVM is started with, and the clients they
 * describe. The parent builds them with {@link #toArgs}; a stage reads them with {@link #parse}.
 */
record StageArgs(Map<String, String> values) {
  static final String BOOTSTRAP = "bootstrap";
  static final String JDBC_URL = "jdbc";
  static final String GUARANTEE = "guarantee";
  static final String GATEWAY = "gateway";
  static final String PORT = "port";
  static final String REDIS = "redis";
  static final String REDIS_PREFIX = "redisPrefix";

  static StageArgs parse(String[] args) {
    Map<String, String> values = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("stage argument must be key=value, got " + arg);
      }
      values.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return new StageArgs(Map.copyOf(values));
  }

  List<String> toArgs() {
    return values.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }

  /** An optional argument, or null. */
  String find(String key) {
    return values.get(key);
  }

  String get(String key) {
    String value = values.get(key);
    if (value == null) {
      throw new IllegalArgumentException("stage argument " + key + " is missing");
    }
    return value;
  }

  boolean exactlyOnce() {
    return DemoGuarantee.valueOf(get(GUARANTEE)) == DemoGuarantee.EXACTLY_ONCE;
  }

  /**
   * Kafka client properties every stage shares: static membership under the stage's instance id, so
   * a restarted stage takes its partitions back at once instead of waiting out a session.
   */
  Map<String, Object> kafka(String instanceId) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", get(BOOTSTRAP));
    props.put("group.instance.id", instanceId);
    props.put("session.timeout.ms", "10000");
    props.put("heartbeat.interval.ms", "1000");
    return props;
  }

  HikariDataSource dataSource(String poolName) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(get(JDBC_URL));
    config.setPoolName(poolName);
    config.setMaximumPoolSize(8);
    config.setConnectionTimeout(5_000);
    return new HikariDataSource(config);
  }

  /** This run of this process: a stage's attempt ids name it, so kills show in the checker. */
  static String runId(String stage) {
    return stage + "-p" + ProcessHandle.current().pid();
  }
}
