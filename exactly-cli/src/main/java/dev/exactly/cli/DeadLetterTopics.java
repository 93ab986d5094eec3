package dev.exactly.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates a command's missing dead-letter topic before its component starts. The library refuses to
 * start without one unless told to create it; a command is that explicit choice, made by the user
 * who ran it, and it says on stdout what it created.
 */
final class DeadLetterTopics {
  private DeadLetterTopics() {}

  /**
   * Creates {@code deadLetterTopic} when absent, with as many partitions as {@code input} and the
   * cluster's default replication, and reports it on {@code out}.
   *
   * @return whether this call created it
   * @throws IllegalArgumentException when {@code input} does not exist
   */
  static boolean ensure(Admin admin, String input, String deadLetterTopic, PrintWriter out)
      throws Exception {
    Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
    if (names.contains(deadLetterTopic)) {
      return false;
    }
    if (!names.contains(input)) {
      throw new IllegalArgumentException("topic " + input + " does not exist");
    }
    Map<String, TopicDescription> described =
        admin.describeTopics(List.of(input)).allTopicNames().get(30, TimeUnit.SECONDS);
    int partitions = described.get(input).partitions().size();
    try {
      admin
          .createTopics(
              List.of(new NewTopic(deadLetterTopic, Optional.of(partitions), Optional.empty())))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicExistsException) {
        return false; // another instance created it first
      }
      throw e;
    }
    out.printf(
        "created dead-letter topic %s (%d partitions like %s, the cluster's default replication)%n",
        deadLetterTopic, partitions, input);
    out.flush();
    return true;
  }
}
