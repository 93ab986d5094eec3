package dev.exactly.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MetricCatalogueTest {
  private static final Pattern ROW =
      Pattern.compile("^\\| `(exactly\\.[a-z.]+)` \\| (\\w+) \\| ([a-z, -]+) \\| (.+) \\|$");

  @Test
  void docsMetricsMdIsTheCatalogue() throws IOException {
    Map<String, String> documented = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of("..", "docs", "metrics.md"))) {
      Matcher m = ROW.matcher(line);
      if (m.matches()) {
        documented.put(m.group(1), m.group(2) + " | " + sorted(m.group(3)) + " | " + m.group(4));
      }
    }
    Map<String, String> catalogue = new LinkedHashMap<>();
    for (Metric m : Metric.values()) {
      catalogue.put(
          m.meterName(),
          m.type().name().toLowerCase(java.util.Locale.ROOT)
              + " | "
              + sorted(String.join(", ", m.components()))
              + " | "
              + m.description());
    }
    assertThat(documented).containsExactlyInAnyOrderEntriesOf(catalogue);
  }

  @Test
  void namesAreUniqueLowercaseDotNotationUnderExactly() {
    assertThat(Arrays.stream(Metric.values()).map(Metric::meterName))
        .doesNotHaveDuplicates()
        .allMatch(n -> n.matches("exactly(\\.[a-z]+)+"));
  }

  @Test
  void aMeterTheCatalogueDoesNotListForTheComponentIsRefused() {
    Meters meters = new Meters(new SimpleMeterRegistry(), Metric.C.RELAY, "r", "i");
    assertThatThrownBy(() -> meters.counter(Metric.DEDUP_CLAIMS))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exactly.dedup.claims")
        .hasMessageContaining("docs/metrics.md");
    assertThatThrownBy(() -> meters.timer(Metric.DEAD_LETTERS)).hasMessageContaining("COUNTER");
  }

  @Test
  void withoutARegistryMetersStayPrivateNeverGlobal() {
    int globalBefore = Metrics.globalRegistry.getMeters().size();
    Meters meters = new Meters(null, Metric.C.PROCESSOR, "g", "i");
    meters.counter(Metric.DEAD_LETTERS).increment();
    assertThat(meters.registry()).isInstanceOf(SimpleMeterRegistry.class);
    assertThat(
            meters
                .registry()
                .get("exactly.dead.letters")
                .tag("component", "processor")
                .tag("group", "g")
                .tag("instance", "i")
                .counter()
                .count())
        .isEqualTo(1.0);
    assertThat(Metrics.globalRegistry.getMeters()).hasSize(globalBefore);
  }

  private static String sorted(String components) {
    return Arrays.stream(components.split(",\\s*"))
        .collect(Collectors.toCollection(TreeSet::new))
        .toString();
  }
}
