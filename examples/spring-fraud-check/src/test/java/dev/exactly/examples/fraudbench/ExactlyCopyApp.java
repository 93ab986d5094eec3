package dev.exactly.examples.fraudbench;

import dev.exactly.processor.RecordProcessor;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/** The benchmark's Exactly side: the starter's processor, identity transform, bytes in and out. */
@SpringBootConfiguration
@EnableAutoConfiguration
public class ExactlyCopyApp {
  // exactly.processors.copy.input-topic=<bench.in>
  @Bean
  RecordProcessor<byte[], byte[], byte[], byte[]> copy(@Value("${bench.out}") String outTopic) {
    return (record, out) -> out.send(outTopic, record.key(), record.value());
  }
}
