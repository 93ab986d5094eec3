package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.testkit.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --metrics-port: a long-running command's meters, scraped as Prometheus scrapes them. */
class MetricsPortTest {
  private static final Pattern URL =
      Pattern.compile("metrics at (http://127\\.0\\.0\\.1:\\d+/metrics)");

  @Test
  void theTransactionsWatchServesItsGaugesOnLoopback() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("quiet", 1);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CommandLine cli = new CommandLine(new Main());
      cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
      CompletableFuture<Integer> exit =
          CompletableFuture.supplyAsync(
              () ->
                  cli.execute(
                      "transactions",
                      "find-hanging",
                      "--bootstrap-server",
                      kafka.bootstrapServers(),
                      "--watch",
                      "200ms",
                      "--older-than",
                      "1s",
                      "--metrics-port",
                      "0"));
      String url = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (url == null && System.nanoTime() < deadline) {
        Matcher m = URL.matcher(out.toString(StandardCharsets.UTF_8));
        url = m.find() ? m.group(1) : null;
        Thread.sleep(50);
      }
      assertThat(url).as(out.toString(StandardCharsets.UTF_8)).isNotNull();
      String body = "";
      while (!body.contains("exactly_transactions_hanging{") && System.nanoTime() < deadline) {
        body = scrape(url);
        Thread.sleep(100);
      }
      assertThat(body)
          .contains("# TYPE exactly_transactions_hanging gauge")
          .contains(
              "exactly_transactions_hanging{component=\"transactions\",group=\"cluster\",instance=\""
                  + kafka.bootstrapServers()
                  + "\"} 0")
          .contains("exactly_transactions_hanging_oldest_age{");

      CommandLine findHanging =
          cli.getSubcommands().get("transactions").getSubcommands().get("find-hanging");
      ((TransactionsCommand.FindHanging) findHanging.getCommand()).stop.countDown();
      assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8)).contains("0 transaction(s) open");
    }
  }

  @Test
  void metricsPortWithoutWatchIsBadUsage() {
    assertThat(
            Main.execute(
                new String[] {
                  "transactions",
                  "find-hanging",
                  "--bootstrap-server",
                  "127.0.0.1:1",
                  "--metrics-port",
                  "0"
                },
                new java.io.PrintStream(new ByteArrayOutputStream()),
                new java.io.PrintStream(new ByteArrayOutputStream())))
        .isEqualTo(2);
  }

  private static String scrape(String url) throws Exception {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    try {
      assertThat(c.getResponseCode()).isEqualTo(200);
      assertThat(c.getContentType()).startsWith("text/plain");
      return new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      c.disconnect();
    }
  }
}
