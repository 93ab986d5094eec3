package dev.exactly.redis;

import static org.awaitility.Awaitility.await;

import dev.exactly.dedup.DedupKey;
import dev.exactly.dedup.IdempotentConsumer;
import dev.exactly.testkit.CountingHttpServer;
import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.TopicWriter;
import dev.exactly.testkit.check.CheckReport;
import dev.exactly.testkit.check.ExactlyOnceChecker;
import dev.exactly.testkit.check.HttpEffects;
import dev.exactly.testkit.check.Input;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two idempotent consumers share a topic and a Redis store while a third instance keeps joining and
 * leaving, forcing rebalances mid-run. The downstream ignores the Idempotency-Key, so it counts
 * every run of the effect: each input must still take effect exactly once.
 */
class RebalanceTest {
  private static final Logger log = LoggerFactory.getLogger(RebalanceTest.class);

  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final int RECORDS = 1500;

  @BeforeAll
  static void server() {
    ExternalService.REDIS.assumeAvailable();
  }

  @Test
  void noKeyTakesEffectTwiceWhileInstancesJoinAndLeave() throws Exception {
    String run = "rb" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    String topic = run + "-in";
    KAFKA.broker().createTopic(topic, 6);
    List<Input> inputs = new ArrayList<>();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (int i = 0; i < RECORDS; i++) {
        String id = "id-" + i;
        inputs.add(new Input(id, id, 0));
        records.add(new ProducerRecord<>(topic, id, id));
      }
      // a second copy of a tenth of the inputs: redelivered by the producer, not by Kafka
      for (int i = 0; i < RECORDS; i += 10) {
        records.add(new ProducerRecord<>(topic, "id-" + i, "id-" + i));
      }
      TopicWriter.sendAll(producer, records);
    }
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    HttpClient http = HttpClient.newHttpClient();
    try (CountingHttpServer server = CountingHttpServer.start(CountingHttpServer.Mode.IGNORE_KEY);
        RedisDedupStore store =
            RedisDedupStore.builder(ExternalService.REDIS.url()).keyPrefix(run + ":").build()) {
      java.util.function.IntFunction<IdempotentConsumer> instance =
          n ->
              IdempotentConsumer.builder(
                      Map.of(
                          "bootstrap.servers",
                          KAFKA.broker().bootstrapServers(),
                          "max.poll.records",
                          25,
                          "client.id",
                          run + "-" + n))
                  .groupId(run)
                  .createTopics(true)
                  .input(topic, new StringDeserializer(), new StringDeserializer())
                  .dedupKey(DedupKey.recordKey())
                  .store(store)
                  .lease(Duration.ofSeconds(20))
                  .meterRegistry(meters)
                  .handler(
                      r -> {
                        HttpResponse<String> response =
                            http.send(
                                HttpRequest.newBuilder(server.effectsUri())
                                    .header(CountingHttpServer.ATTEMPT_HEADER, "instance-" + n)
                                    .POST(HttpRequest.BodyPublishers.ofString(r.value()))
                                    .build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() != 200) {
                          throw new IllegalStateException("HTTP " + response.statusCode());
                        }
                      })
                  .build()
                  .start();
      IdempotentConsumer a = instance.apply(1);
      IdempotentConsumer b = instance.apply(2);
      try {
        int rebalances = 0;
        for (int round = 0; round < 3 && server.effectCounts().size() < RECORDS; round++) {
          int before = server.requests();
          await().atMost(Duration.ofSeconds(60)).until(() -> server.requests() > before + 100);
          IdempotentConsumer c = instance.apply(10 + round);
          await().atMost(Duration.ofSeconds(60)).until(() -> server.requests() > before + 300);
          c.close(Duration.ofSeconds(30));
          rebalances += 2;
        }
        b.close(Duration.ofSeconds(30));
        b = instance.apply(3);
        rebalances += 2;
        await()
            .atMost(Duration.ofSeconds(180))
            .until(() -> server.effectCounts().size() == RECORDS);
        // let the last batches' duplicates be read and skipped
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    meters.find("exactly.dedup.duplicates.skipped").counters().stream()
                            .mapToDouble(x -> x.count())
                            .sum()
                        >= RECORDS / 10);
        CheckReport report = new ExactlyOnceChecker(inputs).check(new HttpEffects(server));
        log.info(
            "rebalances forced: {}; requests {}; duplicates skipped {}\n{}",
            rebalances,
            server.requests(),
            meters.find("exactly.dedup.duplicates.skipped").counters().stream()
                .mapToDouble(x -> x.count())
                .sum(),
            report.summary());
        report.assertExactlyOnce();
      } finally {
        a.close(Duration.ofSeconds(30));
        b.close(Duration.ofSeconds(30));
      }
    }
  }
}
