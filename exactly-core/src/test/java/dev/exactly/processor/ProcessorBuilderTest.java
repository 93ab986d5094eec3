package dev.exactly.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.ConfigurationException;
import dev.exactly.NonRetriableException;
import dev.exactly.RetryPolicy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** Configuration errors fail build(), naming the key, the value given and the fix. */
class ProcessorBuilderTest {

  private static ExactlyOnceProcessor.Builder<String, String, byte[], byte[]> valid(
      Map<String, Object> props) {
    return ExactlyOnceProcessor.builder(props)
        .groupId("g")
        .instanceId("i")
        .input("in", new StringDeserializer(), new StringDeserializer())
        .process((r, o) -> {});
  }

  private static Map<String, Object> props() {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", "127.0.0.1:1");
    return p;
  }

  private static void refused(
      Consumer<ExactlyOnceProcessor.Builder<String, String, byte[], byte[]>> change,
      String key,
      String value,
      String fix) {
    ExactlyOnceProcessor.Builder<String, String, byte[], byte[]> b = valid(props());
    change.accept(b);
    assertThatThrownBy(b::build)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining(key + "=" + value)
        .hasMessageContaining(fix)
        .extracting(e -> ((ConfigurationException) e).key())
        .isEqualTo(key);
  }

  @Test
  void aValidConfigurationBuilds() {
    assertThat(valid(props()).build().state()).isEqualTo(dev.exactly.ComponentState.CREATED);
  }

  @Test
  void settingsLintCallsAnErrorAreRefused() {
    Map<String, Object> p = props();
    p.put("max.in.flight.requests.per.connection", "8");
    assertThatThrownBy(valid(p)::build)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("max.in.flight.requests.per.connection=8")
        .hasMessageContaining("set max.in.flight.requests.per.connection to 5 or less")
        .hasMessageContaining("KAFKA-5494");
    p.put("max.in.flight.requests.per.connection", "5");
    assertThat(valid(p).build()).isNotNull();
  }

  @Test
  void aTransactionTimeoutNoLongerThanOneBatchIsRefused() {
    Map<String, Object> p = props();
    p.put("transaction.timeout.ms", "1000");
    ExactlyOnceProcessor.Builder<String, String, byte[], byte[]> b =
        valid(p).commitInterval(Duration.ofMillis(600));
    // 600 ms + the 100 ms poll timeout + the default policy's 100 + 200 ms of backoffs (a failing
    // record is retried in the open transaction) = 1000 ms: no room left for the commit.
    assertThatThrownBy(b::build)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("transaction.timeout.ms=1000")
        .hasMessageContaining("retry backoffs 300 ms = 1000 ms")
        .hasMessageContaining("raise it");
    assertThat(valid(p).commitInterval(Duration.ofMillis(500)).build()).isNotNull();
    assertThatThrownBy(
            () ->
                valid(p)
                    .commitInterval(Duration.ofMillis(100))
                    .retry(RetryPolicy.fixed(4, Duration.ofMillis(300)))
                    .build())
        .as("100 + 100 + 3 x 300 ms of backoffs outlast the transaction")
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("retry backoffs 900 ms");
    assertThat(
            valid(p)
                .guarantee(Guarantee.AT_LEAST_ONCE_NOT_EXACTLY_ONCE)
                .commitInterval(Duration.ofMillis(900))
                .build())
        .as("at-least-once has no transaction")
        .isNotNull();
  }

  @Test
  void aZeroOrNegativeCommitIntervalIsRefused() {
    refused(b -> b.commitInterval(Duration.ZERO), "processor.commitInterval", "PT0S", "positive");
    refused(
        b -> b.commitInterval(Duration.ofMillis(-1)),
        "processor.commitInterval",
        "PT-0.001S",
        "positive");
  }

  @Test
  void aBatchOfNoRecordsIsRefused() {
    refused(b -> b.maxBatchRecords(0), "processor.maxBatchRecords", "0", "at least 1");
  }

  @Test
  void exactlyOnceWithoutAnInstanceIdIsRefused() {
    assertThatThrownBy(
            () ->
                ExactlyOnceProcessor.builder(props())
                    .groupId("g")
                    .input("in", new StringDeserializer(), new StringDeserializer())
                    .process((r, o) -> {})
                    .build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("processor.instanceId=null")
        .hasMessageContaining("call instanceId(...)");
  }

  @Test
  void aMissingInputOrFunctionIsRefused() {
    assertThatThrownBy(() -> ExactlyOnceProcessor.builder(props()).groupId("g").build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("processor.input=null")
        .hasMessageContaining("call input(");
    assertThatThrownBy(
            () ->
                ExactlyOnceProcessor.builder(props())
                    .groupId("g")
                    .instanceId("i")
                    .process((r, o) -> {})
                    .input("in", new StringDeserializer(), new StringDeserializer())
                    .build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("processor.process=null")
        .hasMessageContaining("call process(...)");
  }

  @Test
  void aMissingOrContradictingGroupIsRefused() {
    assertThatThrownBy(
            () ->
                ExactlyOnceProcessor.builder(props())
                    .instanceId("i")
                    .input("in", new StringDeserializer(), new StringDeserializer())
                    .process((r, o) -> {})
                    .build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("processor.groupId=null")
        .hasMessageContaining("call groupId(...) or set group.id");
    Map<String, Object> p = props();
    p.put("group.id", "other");
    assertThatThrownBy(() -> valid(p).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("group.id=other")
        .hasMessageContaining("give the group once");
  }

  @Test
  void kafkaSettingsThatContradictTheGuaranteeAreRefused() {
    Map<String, Object> p = props();
    p.put("enable.auto.commit", "true");
    assertThatThrownBy(() -> valid(p).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("enable.auto.commit=true")
        .hasMessageContaining("remove the setting");
  }

  @Test
  void aRetryPolicyThatCannotWorkIsRefusedWhereItIsMade() {
    assertThatThrownBy(() -> new dev.exactly.RetryPolicy(0, Duration.ZERO, Duration.ZERO, 1.0))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("retry.maxAttempts=0");
  }

  @Test
  void nonRetriableCalledTwiceReplacesTheTypesOfTheFirstCall() {
    ExactlyOnceProcessor.Builder<String, String, byte[], byte[]> b = valid(props());
    b.nonRetriable(ArithmeticException.class).nonRetriable(IllegalArgumentException.class);
    ProcessorSettings s = ProcessorSettings.from(b);
    assertThat(s.failures().isNonRetriable(new IllegalArgumentException())).isTrue();
    assertThat(s.failures().isNonRetriable(new ArithmeticException())).isFalse();
    // Always non-retriable, whatever was given, and found anywhere in the cause chain.
    assertThat(s.failures().isNonRetriable(new NonRetriableException("x"))).isTrue();
    assertThat(s.failures().isNonRetriable(new SerializationException("x"))).isTrue();
    assertThat(
            s.failures()
                .isNonRetriable(new RuntimeException("wrapper", new NonRetriableException("x"))))
        .isTrue();
  }

  @Test
  void theInstanceIdIsTheStaticGroupMemberUnlessTheUserNamedOne() {
    assertThat(ProcessorSettings.from(valid(props())).consumerProperties())
        .containsEntry("group.instance.id", "i");
    Map<String, Object> own = props();
    own.put("group.instance.id", "pod-7");
    assertThat(ProcessorSettings.from(valid(own)).consumerProperties())
        .containsEntry("group.instance.id", "pod-7");
    assertThat(ProcessorSettings.from(valid(props()).staticMembership(false)).consumerProperties())
        .as("a dynamic member, asked for")
        .doesNotContainKey("group.instance.id");
    ExactlyOnceProcessor.Builder<String, String, byte[], byte[]> atLeastOnce =
        ExactlyOnceProcessor.builder(props())
            .groupId("g")
            .guarantee(Guarantee.AT_LEAST_ONCE_NOT_EXACTLY_ONCE)
            .input("in", new StringDeserializer(), new StringDeserializer())
            .process((r, o) -> {});
    assertThat(ProcessorSettings.from(atLeastOnce).consumerProperties())
        .as("no instance id, no static membership: a made-up id would outlive the process")
        .doesNotContainKey("group.instance.id");
  }

  @Test
  void aNullNonRetriableTypeIsRefusedAtTheCall() {
    assertThatThrownBy(() -> valid(props()).nonRetriable((Class<? extends Throwable>) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("nonRetriable");
  }
}
