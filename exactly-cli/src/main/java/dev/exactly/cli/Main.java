package dev.exactly.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code exactly} command. {@link #main} only calls the testable {@link #execute}. */
@Command(
    name = "exactly",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "Effectively-once Kafka pipelines, and the tools to prove them.",
    subcommands = {
      DemoCommand.class,
      BrokerCommand.class,
      CopyCommand.class,
      SinkCommand.class,
      RelayCommand.class,
      IngestCommand.class,
      LintCommand.class,
      TransactionsCommand.class,
      VerifyCommand.class
    })
public final class Main implements Runnable {
  /** Exit code for a bad command line, as picocli and POSIX tools use. */
  static final int USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args, System.out, System.err));
  }

  /** Runs one command line and returns its exit code: 0 done, 1 failed, 2 bad usage. */
  static int execute(String[] args, PrintStream out, PrintStream err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cli.setParameterExceptionHandler(Main::badUsage);
    cli.setExecutionExceptionHandler(
        (e, command, parsed) -> {
          command.getErr().println(command.getCommandName() + ": " + message(e));
          return 1;
        });
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** One line naming what is wrong, one line saying where usage is: no wall of help text. */
  private static int badUsage(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    PrintWriter err = command.getErr();
    err.println(qualifiedName(command) + ": " + e.getMessage());
    String suggestion = "";
    if (e instanceof CommandLine.UnmatchedArgumentException unmatched
        && !unmatched.getSuggestions().isEmpty()) {
      suggestion = "Did you mean '" + unmatched.getSuggestions().get(0) + "'? ";
    }
    err.println(suggestion + "Try '" + qualifiedName(command) + " --help' for usage.");
    return USAGE;
  }

  private static String qualifiedName(CommandLine command) {
    return command.getCommandSpec().qualifiedName();
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
