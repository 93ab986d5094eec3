package dev.exactly.cli.demo;

import dev.exactly.testkit.EmbeddedKafka;
import dev.exactly.testkit.KafkaCluster;

/**
 * The demo's Kafka: one in-process broker that is never killed, or a cluster of child-JVM brokers
 * of which one is SIGKILLed and restarted now and then.
 */
interface DemoBrokers extends AutoCloseable {
  String bootstrapServers();

  void createTopic(String name, int partitions);

  /** The broker ids that may be killed: none for an in-process broker. */
  int killable();

  /** SIGKILLs broker {@code id}, then brings it back and waits until it serves again. */
  void killAndRestart(int id, Runnable killed);

  @Override
  void close();

  static DemoBrokers start(int brokers) {
    if (brokers == 1) {
      EmbeddedKafka kafka = EmbeddedKafka.start();
      return new DemoBrokers() {
        public String bootstrapServers() {
          return kafka.bootstrapServers();
        }

        public void createTopic(String name, int partitions) {
          kafka.createTopic(name, partitions);
        }

        public int killable() {
          return 0;
        }

        public void killAndRestart(int id, Runnable killed) {
          throw new IllegalStateException("the in-process broker is not killed");
        }

        public void close() {
          kafka.close();
        }
      };
    }
    KafkaCluster cluster = KafkaCluster.builder().brokers(brokers).start();
    return new DemoBrokers() {
      public String bootstrapServers() {
        return cluster.bootstrapServers();
      }

      public void createTopic(String name, int partitions) {
        cluster.createTopic(name, partitions);
      }

      public int killable() {
        return cluster.size();
      }

      public void killAndRestart(int id, Runnable killed) {
        cluster.kill(id);
        killed.run();
        cluster.restart(id);
      }

      public void close() {
        cluster.close();
      }
    };
  }
}
