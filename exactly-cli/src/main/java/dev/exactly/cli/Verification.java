package dev.exactly.cli;

import dev.exactly.testkit.TopicReader;
import dev.exactly.testkit.check.CheckReport;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.RecordEffects;
import dev.exactly.testkit.check.RecordId;
import dev.exactly.testkit.check.TableEffects;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One run of {@code exactly verify}: waits for the topics' transactions to settle, reads the input
 * and each output to its end as of the start, and has the testkit's {@link ExactlyOnceChecker}
 * compare them.
 */
final class Verification {

  /** The check could not be made: the cluster, a topic or the query is not there as given. */
  static final class CannotCheck extends Exception {
    CannotCheck(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * @param client Kafka client properties: the command config with the bootstrap servers
   * @param orderBy where the ordering key is, or empty when order is not checked
   * @param orderTables whether a table's rows, in the query's order, are checked for order
   * @param settle how long a partition may stay behind an open transaction before it is stuck
   * @param timeout for each call to the cluster and each topic read
   */
  record Settings(
      Map<String, Object> client,
      String input,
      List<String> outputs,
      Optional<String> jdbcUrl,
      Optional<String> query,
      RecordId id,
      Optional<RecordId> orderBy,
      boolean orderTables,
      Duration settle,
      Duration timeout,
      boolean failOnAborted) {}

  private final Settings s;
  private final Map<String, Object> client;

  Verification(Settings settings) {
    this.s = settings;
    this.client = new HashMap<>(settings.client());
    long ms = settings.timeout().toMillis();
    client.put("default.api.timeout.ms", (int) ms);
    client.putIfAbsent("request.timeout.ms", (int) Math.min(ms, 30_000));
  }

  VerifyOutcome run() throws CannotCheck, InterruptedException {
    List<String> topics = new ArrayList<>(new LinkedHashSet<>(topics()));
    try (Admin admin = Admin.create(client);
        KafkaConsumer<byte[], byte[]> committed = consumer(IsolationLevel.READ_COMMITTED);
        KafkaConsumer<byte[], byte[]> uncommitted = consumer(IsolationLevel.READ_UNCOMMITTED)) {
      Map<String, List<TopicPartition>> partitions = describe(admin, topics);
      StableOffsets offsets = new StableOffsets(admin, committed, uncommitted, s.timeout());
      Map<String, StableOffsets.Settled> settled = offsets.settle(partitions, s.settle());
      VerifyInputs.Read read =
          VerifyInputs.of(read(s.input(), IsolationLevel.READ_COMMITTED), s.id(), s.orderBy());
      ExactlyOnceChecker checker = ExactlyOnceChecker.allowingRepeatedIds(read.inputs());
      VerifyOutcome.Input input =
          new VerifyOutcome.Input(
              "topic " + s.input() + " (read_committed)",
              read.records(),
              checker.expectedCount(),
              checker.repeatedInputIds(),
              read.withoutId(),
              read.withoutIdExamples(),
              settled.get(s.input()).stuck());
      List<VerifyOutcome.Output> outputs = new ArrayList<>();
      for (String topic : s.outputs()) {
        outputs.add(checkTopic(checker, topic, settled.get(topic)));
      }
      if (s.jdbcUrl().isPresent()) {
        outputs.add(checkTable(checker));
      }
      return new VerifyOutcome(input, outputs, s.failOnAborted());
    } catch (CannotCheck | InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new CannotCheck(
          "cannot read from the cluster at "
              + client.get("bootstrap.servers")
              + " within "
              + TransactionsCommand.human(s.timeout())
              + ": "
              + rootMessage(e),
          e);
    }
  }

  private List<String> topics() {
    List<String> topics = new ArrayList<>();
    topics.add(s.input());
    topics.addAll(s.outputs());
    return topics;
  }

  private VerifyOutcome.Output checkTopic(
      ExactlyOnceChecker checker, String topic, StableOffsets.Settled settled) {
    // Uncommitted first: every record it returns below the last stable offset has been decided
    // before the committed read starts, so one the committed read lacks was aborted.
    List<ConsumerRecord<byte[], byte[]>> all = read(topic, IsolationLevel.READ_UNCOMMITTED);
    List<ConsumerRecord<byte[], byte[]>> committed = read(topic, IsolationLevel.READ_COMMITTED);
    boolean ordered = s.orderBy().isPresent();
    CheckReport report =
        checker.check(
            new RecordEffects("topic " + topic + " (read_committed)", committed, s.id(), ordered));
    AbortedRecords.Found aborted =
        AbortedRecords.find(all, committed, settled.lastStable(), s.id());
    return new VerifyOutcome.Output(
        "topic", report, ordered, aborted.count(), aborted.examples(), settled.stuck());
  }

  private VerifyOutcome.Output checkTable(ExactlyOnceChecker checker) throws CannotCheck {
    String url = s.jdbcUrl().orElseThrow();
    boolean ordered = s.orderTables() && s.orderBy().isPresent();
    try {
      CheckReport report =
          checker.check(
              new TableEffects(withoutSecrets(url), url, s.query().orElseThrow(), ordered));
      return new VerifyOutcome.Output("table", report, ordered, 0, List.of(), List.of());
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof SQLException sql) {
        throw new CannotCheck(
            "the query on "
                + withoutSecrets(url)
                + " failed (SQLState "
                + sql.getSQLState()
                + "): "
                + sql.getMessage(),
            e);
      }
      throw e;
    }
  }

  /** A JDBC URL fit to print: no user info, no parameters (they may carry a password). */
  static String withoutSecrets(String url) {
    String out = url.replaceFirst("//[^/@?;]*@", "//");
    int cut = out.length();
    for (char c : new char[] {'?', ';', '&'}) {
      int i = out.indexOf(c);
      if (i >= 0) {
        cut = Math.min(cut, i);
      }
    }
    return out.substring(0, cut);
  }

  private Map<String, List<TopicPartition>> describe(Admin admin, List<String> topics)
      throws CannotCheck, InterruptedException {
    Map<String, KafkaFuture<TopicDescription>> futures =
        admin.describeTopics(topics).topicNameValues();
    Map<String, List<TopicPartition>> out = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (String topic : topics) {
      try {
        TopicDescription d = futures.get(topic).get(s.timeout().toMillis(), TimeUnit.MILLISECONDS);
        out.put(
            topic,
            d.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList());
      } catch (ExecutionException e) {
        if (e.getCause() instanceof UnknownTopicOrPartitionException) {
          missing.add(topic);
        } else {
          throw unreachable(e.getCause());
        }
      } catch (TimeoutException e) {
        throw unreachable(e);
      }
    }
    if (!missing.isEmpty()) {
      throw new CannotCheck(
          "topic(s) "
              + missing
              + " do not exist on "
              + client.get("bootstrap.servers")
              + "; check the names (exactly verify never creates a topic)",
          null);
    }
    return out;
  }

  private CannotCheck unreachable(Throwable e) {
    return new CannotCheck(
        "cannot reach the cluster at "
            + client.get("bootstrap.servers")
            + " within "
            + TransactionsCommand.human(s.timeout())
            + " ("
            + rootMessage(e)
            + "); check --bootstrap-server and --command-config, or raise --timeout",
        e);
  }

  private List<ConsumerRecord<byte[], byte[]>> read(String topic, IsolationLevel isolation) {
    return TopicReader.read(client, topic, isolation, s.timeout());
  }

  private KafkaConsumer<byte[], byte[]> consumer(IsolationLevel isolation) {
    Map<String, Object> props = new HashMap<>(client);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString().toLowerCase(Locale.ROOT));
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return new KafkaConsumer<>(props);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
