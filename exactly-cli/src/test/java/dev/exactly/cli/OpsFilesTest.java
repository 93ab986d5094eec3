package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exactly.internal.Metric;
import dev.exactly.testkit.ExternalService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The alert rules and the dashboard in ops/: promtool checks and unit-tests the rules, and every
 * series they query is one the catalogue's meters export to Prometheus under Micrometer's names.
 */
class OpsFilesTest {
  private static final Path OPS = Path.of("..", "ops");
  private static final Path RULES = OPS.resolve("prometheus/exactly-alerts.yml");
  private static final Path DASHBOARD = OPS.resolve("grafana/exactly.json");
  private static final Pattern SERIES = Pattern.compile("\\bexactly_[a-z_]+");

  @Test
  void promtoolChecksAndTestsTheAlertRules() throws Exception {
    String promtool = promtool();
    assertThat(run(promtool, "check", "rules", "exactly-alerts.yml"))
        .contains("SUCCESS: 10 rules found");
    assertThat(run(promtool, "test", "rules", "exactly-alerts.test.yml")).contains("SUCCESS");
  }

  @Test
  void everySeriesTheAlertsQueryIsExportedByACataloguedMeter() throws Exception {
    Set<String> queried = series(Files.readString(RULES));
    assertThat(queried).hasSizeGreaterThanOrEqualTo(9);
    assertThat(exported()).containsAll(queried);
  }

  @Test
  void everySeriesTheDashboardQueriesIsExportedByACataloguedMeter() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<String> exprs = new ArrayList<>();
    dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
    assertThat(exprs).hasSizeGreaterThanOrEqualTo(8);
    Set<String> queried = series(String.join("\n", exprs));
    assertThat(exported()).containsAll(queried);
    // The panels the operations guide names are there.
    assertThat(queried)
        .contains(
            "exactly_component_state",
            "exactly_aborts_total",
            "exactly_lag",
            "exactly_outbox_backlog_oldest_age",
            "exactly_transactions_hanging");
  }

  /** What a Prometheus scrape of every catalogued meter shows, series names only. */
  private static Set<String> exported() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    for (Metric m : Metric.values()) {
      switch (m.type()) {
        case COUNTER -> Counter.builder(m.meterName()).register(registry).increment();
        case TIMER -> Timer.builder(m.meterName()).register(registry).record(1, TimeUnit.SECONDS);
        case SUMMARY -> DistributionSummary.builder(m.meterName()).register(registry).record(1);
        case GAUGE -> Gauge.builder(m.meterName(), () -> 1).register(registry);
      }
    }
    return registry
        .scrape()
        .lines()
        .filter(l -> !l.startsWith("#") && !l.isBlank())
        .map(l -> l.split("[{ ]", 2)[0])
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> series(String text) {
    Set<String> out = new TreeSet<>();
    Matcher m = SERIES.matcher(text);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  private static String promtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, "promtool");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    String message =
        "promtool is not installed (Debian package prometheus: apt-get install prometheus)";
    if ("true".equalsIgnoreCase(System.getenv(ExternalService.REQUIRE_VARIABLE))) {
      throw new AssertionError(message + " and " + ExternalService.REQUIRE_VARIABLE + "=true");
    }
    Assumptions.abort(message + "; skipping the alert rule tests");
    return null;
  }

  private static String run(String... command) throws Exception {
    Process p =
        new ProcessBuilder(command)
            .directory(OPS.resolve("prometheus").toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + output).isZero();
    return output;
  }
}
