package dev.exactly.cli;

import picocli.CommandLine;

/** Runs {@code exactly copy} alone in a child JVM, for kill-and-restart tests. */
public final class CopyMain {
  private CopyMain() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new CopyCommand()).execute(args));
  }
}
