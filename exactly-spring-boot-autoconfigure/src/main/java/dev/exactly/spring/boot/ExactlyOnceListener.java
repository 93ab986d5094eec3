package dev.exactly.spring.boot;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a bean method an exactly-once processor: each record of {@link #topic} is passed to the
 * method with an {@link dev.exactly.processor.Output}, and what the method sends commits in one
 * Kafka transaction with the record's offset, or never.
 *
 * <pre>{@code
 * @ExactlyOnceListener(topic = "payments", group = "fraud-check")
 * void score(ConsumerRecord<String, String> payment, Output<String, String> out) {
 *   out.send("fraud-scores", payment.key(), scorer.score(payment.value()));
 * }
 * }</pre>
 *
 * <p>The method takes {@code (ConsumerRecord<K, V>, Output<OK, OV>)} and may throw; it runs on the
 * processor's thread, is retried in place by the retry policy and then dead-lettered (see {@link
 * dev.exactly.processor.RecordProcessor}). Keys and values are strings unless {@code
 * exactly.processors.<name>.*} names other (de)serializers, where the name is {@link #name} or
 * {@code <bean name>-<method name>}; every other setting of {@code exactly.processors.<name>.*} and
 * every {@link ExactlyCustomizer.Processor} applies too.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ExactlyOnceListener {
  /** The input topic. */
  String topic();

  /** The consumer group; also the transactional-id prefix unless the properties set one. */
  String group();

  /**
   * The processor's name, for its properties, health and metrics; default {@code <bean>-<method>}.
   */
  String name() default "";

  /** The dead-letter topic; default the input topic with the suffix {@code .dlt}. */
  String deadLetterTopic() default "";
}
