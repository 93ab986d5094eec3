package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.execute(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void unknownOptionGivesOneLineErrorAHintAndExitTwo() {
    assertThat(run("demo", "--ordres", "5")).isEqualTo(2);
    assertThat(err().lines())
        .containsExactly(
            "exactly demo: Unknown options: '--ordres', '5'",
            "Did you mean '--orders'? Try 'exactly demo --help' for usage.");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void helpShowsEveryCommandsWholeSummaryOnOneLine() {
    assertThat(run("--help")).isZero();
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    CommandLine cli = new CommandLine(new Main());
    assertThat(cli.getSubcommands()).isNotEmpty();
    cli.getSubcommands()
        .forEach(
            (name, sub) -> {
              String[] header = sub.getCommandSpec().usageMessage().header();
              assertThat(header).as("a one-line header for %s", name).hasSize(1);
              assertThat(header[0]).endsWith(".");
              assertThat(lines)
                  .as("exactly --help lists %s with its whole summary", name)
                  .anyMatch(
                      l ->
                          l.matches(
                              "\\s*" + Pattern.quote(name) + "\\s+" + Pattern.quote(header[0])));
            });
  }

  @Test
  void unknownCommandIsNamed() {
    assertThat(run("dmeo")).isEqualTo(2);
    assertThat(err()).startsWith("exactly: Unmatched argument at index 0: 'dmeo'");
  }

  @Test
  void badValueNamesOptionAndValue() {
    assertThat(run("demo", "--orders", "many")).isEqualTo(2);
    assertThat(err()).contains("'--orders'").contains("'many'");
  }

  @Test
  void outOfRangeValueIsAUsageError() {
    assertThat(run("demo", "--orders", "0")).isEqualTo(2);
    assertThat(err()).startsWith("exactly demo: Invalid value for option '--orders': 0");
    assertThat(run("broker", "--port", "70000")).isEqualTo(2);
    assertThat(err()).contains("70000 is not a TCP port");
  }

  @Test
  void brokerOnATakenPortSaysWhyAndWhereItsLogIs() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThat(run("broker", "--port", Integer.toString(taken.getLocalPort()))).isEqualTo(1);
      assertThat(err())
          .contains("port " + taken.getLocalPort() + " on 127.0.0.1 is taken")
          .contains("broker log: ");
    }
  }

  @Test
  void copyIsACommandAndChecksItsOptions() {
    assertThat(run("copy", "--from", "a")).isEqualTo(2);
    assertThat(err()).startsWith("exactly copy: Missing required option");
  }

  @Test
  void versionNamesKafka() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("Apache Kafka 4.");
  }
}
