package dev.exactly.jdbc.sink;

import dev.exactly.testkit.ChildProcess;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What a crash test prints when it times out, so a stall explains itself: where each partition
 * stands in the offset table and in Kafka, which database sessions are open and who blocks whom,
 * and each live child's engine thread and last log lines.
 */
final class StallReport {
  private StallReport() {}

  static String of(
      String url,
      String db,
      String offsets,
      String bootstrap,
      String topic,
      List<ChildProcess> children) {
    StringBuilder out = new StringBuilder();
    out.append("\n--- offset table ").append(offsets).append('\n');
    out.append(
        query(
            url,
            "SELECT topic, partition_id, next_offset, epoch FROM "
                + offsets
                + " ORDER BY partition_id"));
    out.append("--- end offsets of ").append(topic).append(": ");
    out.append(endOffsets(bootstrap, topic)).append('\n');
    out.append("--- database sessions\n");
    for (String sql : sessionQueries(db)) {
      out.append(query(url, sql));
    }
    for (ChildProcess c : children) {
      out.append("--- child ")
          .append(c.name())
          .append(" pid ")
          .append(c.pid())
          .append(c.isAlive() ? " alive" : " dead")
          .append('\n');
      if (c.isAlive()) {
        out.append(engineThread(c.pid()));
      }
      out.append(tail(c.outputText(), 25));
    }
    return out.toString();
  }

  private static List<String> sessionQueries(String db) {
    return switch (db) {
      case "pg" ->
          List.of(
              "SELECT pid, client_port, state, wait_event_type, wait_event,"
                  + " pg_blocking_pids(pid) AS blocked_by, now() - xact_start AS in_xact,"
                  + " left(query, 100) AS query FROM pg_stat_activity"
                  + " WHERE datname = current_database() AND pid <> pg_backend_pid()");
      case "maria" ->
          List.of(
              "SELECT ID, COMMAND, TIME, STATE, LEFT(INFO, 100) AS INFO"
                  + " FROM information_schema.PROCESSLIST WHERE DB = DATABASE()"
                  + " AND ID <> CONNECTION_ID()",
              "SELECT trx_mysql_thread_id, trx_state, trx_started, trx_rows_locked,"
                  + " trx_wait_started, LEFT(trx_query, 100) AS q"
                  + " FROM information_schema.INNODB_TRX");
      default ->
          List.of(
              "SELECT SESSION_ID, BLOCKER_ID, SLEEP_SINCE, LEFT(EXECUTING_STATEMENT, 100) AS Q"
                  + " FROM INFORMATION_SCHEMA.SESSIONS");
    };
  }

  private static String query(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.setQueryTimeout(10);
      try (ResultSet rs = s.executeQuery(sql)) {
        ResultSetMetaData md = rs.getMetaData();
        StringBuilder out = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          names.add(md.getColumnLabel(i));
        }
        out.append(String.join(" | ", names)).append('\n');
        while (rs.next()) {
          List<String> row = new ArrayList<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            row.add(String.valueOf(rs.getObject(i)));
          }
          out.append(String.join(" | ", row)).append('\n');
        }
        return out.toString();
      }
    } catch (SQLException e) {
      return "(" + sql + " failed: " + e + ")\n";
    }
  }

  private static String endOffsets(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps =
          c.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .collect(Collectors.toList());
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      return end.entrySet().stream()
          .sorted(Map.Entry.comparingByKey((a, b) -> a.partition() - b.partition()))
          .map(e -> e.getKey().partition() + "=" + e.getValue())
          .collect(Collectors.joining(", "));
    } catch (RuntimeException e) {
      return "(unknown: " + e + ")";
    }
  }

  /** The sink's engine thread from a thread dump of the child, or why there is none. */
  private static String engineThread(long pid) {
    String jcmd = System.getProperty("java.home") + "/bin/jcmd";
    try {
      Process p =
          new ProcessBuilder(jcmd, Long.toString(pid), "Thread.print")
              .redirectErrorStream(true)
              .start();
      String dump = new String(p.getInputStream().readAllBytes());
      p.waitFor(20, TimeUnit.SECONDS);
      StringBuilder out = new StringBuilder();
      for (String thread : dump.split("\n\n")) {
        if (thread.contains("exactly-db-sink-")) {
          out.append(thread.lines().limit(30).collect(Collectors.joining("\n"))).append('\n');
        }
      }
      return out.length() == 0 ? "(no engine thread in the dump)\n" : out.toString();
    } catch (Exception e) {
      return "(no thread dump: " + e + ")\n";
    }
  }

  private static String tail(String text, int lines) {
    List<String> all = text.lines().collect(Collectors.toList());
    String lastMetrics = null;
    List<String> kept = new ArrayList<>();
    for (String l : all) {
      if (l.startsWith("METRICS")) {
        lastMetrics = l;
      } else {
        kept.add(l);
      }
    }
    List<String> out = new ArrayList<>(kept.subList(Math.max(0, kept.size() - lines), kept.size()));
    if (lastMetrics != null) {
      out.add("(last) " + lastMetrics);
    }
    return String.join("\n", out) + "\n";
  }
}
