package dev.exactly.cli.demo;

import dev.exactly.processor.ExactlyOnceProcessor;
import dev.exactly.processor.Guarantee;
import dev.exactly.testkit.check.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Stage 2, in its own JVM: scores each order in {@code orders} for fraud into {@code payments}; an
 * order whose amount is not a number goes to {@code orders.dlt}. Each payment's value names the
 * order and the transaction that wrote it ({@link RecordCodec}), so the checker and the
 * aborted-read monitor can tell attempts apart.
 */
public final class FraudStage {
  private FraudStage() {}

  public static void main(String[] args) throws Exception {
    StageArgs a = StageArgs.parse(args);
    String attempt = StageArgs.runId("fraud") + "-b";
    ExactlyOnceProcessor processor =
        ExactlyOnceProcessor.builder(a.kafka("fraud"))
            .groupId("demo-fraud")
            .instanceId("fraud")
            .guarantee(
                a.exactlyOnce() ? Guarantee.EXACTLY_ONCE : Guarantee.AT_LEAST_ONCE_NOT_EXACTLY_ONCE)
            .commitInterval(Duration.ofMillis(100))
            .deadLetterTopic(DemoTopics.ORDERS_DLT)
            .input(DemoTopics.ORDERS, new StringDeserializer(), new StringDeserializer())
            .output(new StringSerializer(), new ByteArraySerializer())
            .process(
                (record, out) -> {
                  int score = Orders.fraudScore(record.value()); // malformed: dead letter
                  var order = Orders.parse(record.value());
                  List<Header> headers =
                      List.of(
                          header(DemoTopics.ORDER_ID_HEADER, order.id()),
                          header(DemoTopics.SCORE_HEADER, Integer.toString(score)));
                  out.send(
                      DemoTopics.PAYMENTS,
                      null,
                      record.key(),
                      RecordCodec.encodeOutput(order, attempt + out.batch()),
                      headers);
                })
            .build();
    processor.start();
    StageMains.ready("fraud", processor);
  }

  private static Header header(String name, String value) {
    return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
