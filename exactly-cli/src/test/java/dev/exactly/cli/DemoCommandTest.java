package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exactly.testkit.ExternalService;
import dev.exactly.testkit.TestDirectories;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code exactly demo} end to end with small numbers and kills on: real broker, H2 server, child
 * JVMs SIGKILLed and restarted, loopback gateway. The exactly-once run is shared by the tests that
 * read its table and its report.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoCommandTest {
  private static final Pattern ROW =
      Pattern.compile(
          "^(\\S+\\s+\\S+ -> \\S+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(-|\\d+)"
              + "\\s+(exactly-once|VIOLATED)$");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  private Run exactlyOnce;

  record Run(int code, String out, String err, Path dir) {
    Path report() {
      return dir.resolve("report.html");
    }
  }

  @BeforeAll
  void runExactlyOnce() {
    exactlyOnce = demo("exactly-once", 200);
  }

  private static Run demo(String guarantee, int orders, String... more) {
    Path dir = TestDirectories.newDirectory("demo-" + guarantee);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> args =
        new ArrayList<>(
            List.of(
                "demo",
                "--orders",
                Integer.toString(orders),
                "--rate",
                "40",
                "--kill-every",
                "2s",
                "--guarantee",
                guarantee,
                "--dir",
                dir.toString()));
    args.addAll(List.of(more));
    int code =
        Main.execute(
            args.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), dir);
  }

  @Test
  void exactlyOnceRunWithKillsExitsZeroAndItsTableMatchesTheReport() throws Exception {
    Run run = exactlyOnce;
    assertThat(run.code()).as(run.out() + run.err()).isZero();
    Map<String, List<String>> table = table(run.out());
    assertThat(table).hasSize(7);
    table.values().forEach(row -> assertThat(row.get(7)).isEqualTo("exactly-once"));
    assertThat(run.out()).contains("result: EXACTLY-ONCE at every stage");
    assertThat(run.out())
        .containsPattern("charges per order at the gateway:  1 charge: \\d+ orders\\n");
    assertThat(run.out()).contains("HTML report: " + run.report().toAbsolutePath());

    JsonNode data = reportData(run.report());
    assertThat(data.path("exactlyOnce").asBoolean()).isTrue();
    assertThat(data.path("kills").size()).as("kills during the run").isGreaterThanOrEqualTo(2);
    assertMatches(table, data);
    // Every accepted order reaches the topic; the malformed ones only the dead-letter topic.
    int accepted = data.path("load").path("accepted").asInt();
    int malformed = data.path("load").path("malformed").asInt();
    assertThat(accepted).isEqualTo(200);
    assertThat(malformed).isPositive();
    assertThat(table.get("ingest  HTTP -> orders").get(1)).isEqualTo(Integer.toString(accepted));
    assertThat(table.get("fraud   orders -> orders.dlt").get(2))
        .isEqualTo(Integer.toString(malformed));
  }

  @Test
  void atLeastOnceRunShowsDuplicatesAndExitsOne() throws Exception {
    Run run = demo("at-least-once", 200);
    assertThat(run.code()).as(run.out() + run.err()).isEqualTo(1);
    Map<String, List<String>> table = table(run.out());
    assertThat(table).hasSize(7);
    int duplicated = table.values().stream().mapToInt(r -> Integer.parseInt(r.get(4))).sum();
    assertThat(duplicated).as(run.out()).isPositive();
    assertThat(run.out()).contains("result: VIOLATED (at-least-once");
    JsonNode data = reportData(run.report());
    assertThat(data.path("exactlyOnce").asBoolean()).isFalse();
    assertMatches(table, data);
  }

  @Test
  void onPostgresqlAndRedisEveryStageIsExactlyOnce() throws Exception {
    ExternalService.POSTGRESQL.assumeAvailable();
    ExternalService.REDIS.assumeAvailable();
    Run run =
        demo(
            "exactly-once",
            120,
            "--postgres",
            ExternalService.POSTGRESQL.url(),
            "--redis",
            ExternalService.REDIS.url());
    assertThat(run.code()).as(run.out() + run.err()).isZero();
    assertThat(run.out()).contains("database " + ExternalService.POSTGRESQL.url());
    Map<String, List<String>> table = table(run.out());
    assertThat(table).hasSize(7);
    table.values().forEach(row -> assertThat(row.get(7)).isEqualTo("exactly-once"));
    assertMatches(table, reportData(run.report()));
  }

  @Test
  void reportRendersItsChartsInHeadlessChromiumWithoutScriptErrors() throws Exception {
    boolean required = Boolean.parseBoolean(System.getenv(ExternalService.REQUIRE_VARIABLE));
    if (!Files.isExecutable(CHROMIUM)) {
      assertThat(required)
          .as(
              "chromium is not at "
                  + CHROMIUM
                  + " and "
                  + ExternalService.REQUIRE_VARIABLE
                  + "=true")
          .isFalse();
      Assumptions.abort("chromium is not installed at " + CHROMIUM + "; apt-get install chromium");
    }
    assertThat(exactlyOnce.code()).as(exactlyOnce.out()).isZero();
    String url = exactlyOnce.report().toAbsolutePath().toUri().toString();
    Chromium dom = chromium("--dump-dom", "--virtual-time-budget=2000", url);
    assertThat(dom.exit()).as(dom.err()).isZero();
    assertThat(dom.out()).doesNotContain("id=\"demo-error\"");
    assertThat(dom.err()).doesNotContain("Uncaught");
    assertThat(dom.out()).contains("<svg id=\"throughput-chart\"");
    int series = countOf(dom.out(), "<polyline class=\"series\"");
    assertThat(series).isEqualTo(6); // every timed sink; the gateway keeps no times
    assertThat(dom.out()).contains("data-rendered=\"" + series + "\"");
    assertThat(dom.out()).containsPattern("<g class=\"kill\">");
    assertThat(dom.out()).contains("Charges per order at the gateway: ");

    Path png = exactlyOnce.dir().resolve("report.png");
    Chromium shot = chromium("--screenshot=" + png, "--window-size=1100,1500", url);
    assertThat(shot.exit()).as(shot.err()).isZero();
    assertThat(Files.size(png)).isGreaterThan(10_000);
  }

  record Chromium(int exit, String out, String err) {}

  private static Chromium chromium(String... args) throws Exception {
    Path dir = TestDirectories.newDirectory("chromium");
    List<String> command =
        new ArrayList<>(
            List.of(
                CHROMIUM.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--enable-logging=stderr",
                "--user-data-dir=" + dir.resolve("profile")));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(dir.resolve("out.txt").toFile())
            .redirectError(dir.resolve("err.txt").toFile())
            .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish within 60 s: " + command);
    }
    return new Chromium(
        p.exitValue(),
        Files.readString(dir.resolve("out.txt")),
        Files.readString(dir.resolve("err.txt")));
  }

  /**
   * The printed table's rows by stage: stage, inputs, effects, lost, dup, reordered, aborted,
   * result.
   */
  private static Map<String, List<String>> table(String out) {
    Map<String, List<String>> rows = new HashMap<>();
    for (String line : out.lines().toList()) {
      Matcher m = ROW.matcher(line);
      if (m.matches()) {
        List<String> cells = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
          cells.add(m.group(i));
        }
        rows.put(m.group(1), cells);
      }
    }
    return rows;
  }

  private static JsonNode reportData(Path report) throws Exception {
    String html = Files.readString(report);
    Matcher m =
        Pattern.compile("<script type=\"application/json\" id=\"demo-data\">(.*?)</script>")
            .matcher(html);
    assertThat(m.find()).as("embedded data in " + report).isTrue();
    return new ObjectMapper().readTree(m.group(1).replace("<\\/", "</"));
  }

  private static void assertMatches(Map<String, List<String>> table, JsonNode data) {
    assertThat(data.path("stages").size()).isEqualTo(table.size());
    for (JsonNode stage : data.path("stages")) {
      List<String> row = table.get(stage.path("stage").asText());
      assertThat(row).as("printed row for " + stage.path("stage")).isNotNull();
      assertThat(row.get(1)).isEqualTo(stage.path("inputs").asText());
      assertThat(row.get(2)).isEqualTo(stage.path("effects").asText());
      assertThat(row.get(3)).isEqualTo(stage.path("lost").asText());
      assertThat(row.get(4)).isEqualTo(stage.path("duplicated").asText());
      assertThat(row.get(5)).isEqualTo(stage.path("reordered").asText());
      int aborted = stage.path("abortedReads").asInt();
      assertThat(row.get(6)).isEqualTo(aborted < 0 ? "-" : Integer.toString(aborted));
      assertThat(row.get(7))
          .isEqualTo(stage.path("exactlyOnce").asBoolean() ? "exactly-once" : "VIOLATED");
    }
  }

  private static int countOf(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }
}
